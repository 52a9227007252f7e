// Command train trains the compact face embedder: triplet loss with
// online batch-hard mining (the one-shot learning notes' formulation) plus
// distillation from the dlib ResNet teacher, on the LFW training people.
//
//	bash scripts/fetch-faceapi.sh && go run ./cmd/teacher -out build/teacher.oneshot
//	go run ./cmd/train -out build/compact.oneshot   # one run; the shipped model is several: make train, MODEL_CARD.md
//
// It reads a folder of identity sub-folders (the LFW layout) restricted to
// a people list (default: LFW's peopleDevTrain.txt — never the test
// people), optionally adds the ORL faces, finds and aligns every face once,
// caches the teacher's embeddings on disk, then trains with a progress bar,
// checkpointing every epoch (-resume continues a stopped run exactly;
// -init starts a new run from a trained model's weights; -views N first
// has the teacher embed N augmented views of every face and then shows the
// student exactly those views, each pulled towards its own target; -mix P
// makes a fraction P of those views blends of two faces; -view-seeds
// 1,2:0.5,3:0.7 trains on several such sets at once, one per seed, each
// cached on its own, so a new set costs only its own teacher time; a
// set written 6:1:0.5 blends every view and makes half of the blends
// swaps, a band of the other face — its eyes, or nose and mouth — in
// place of the same band of this one; 11:1:1:0.5 makes half of the swaps
// sides, the left or right half of the other face; 21w1 warps every view
// but the plain one, a smooth change of the face's shape, train.Warp;
// 42x2g1 puts glasses (half of them sunglasses) on every view but the
// plain one, train.Glasses;
// -sight has the teacher see every view through the student's crop,
// train.Composition.Sight; -sight-crop compact64 through that crop
// instead, so a compact-v2-80 student started from a compact-v2 model
// trains on the views cached for it). At
// the end it calibrates the verification threshold on pairsDevTrain (the
// training people's pairs) and writes the model file.
//
// Faces are found by the photo detector, which scans an image once more on
// a finer grid when its first scan finds nothing (face.Params.RetryFine,
// since commit 09f8ab9: ~1 image in 200 more of LFW's). The teacher caches
// hold the faces they were made for, so a run continuing a chain started
// before that commit passes -retry=false to train on the same faces and
// reuse its caches. Each cache file is named for its pictures as well
// (train.SamplesCachePath: their number and a digest of their paths), so
// runs on different people — a chain that holds some out and a run on
// them all — keep their caches side by side in one -cache folder.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/eval"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/nn"
	"github.com/oneshotface/oneshot/train"
	"github.com/oneshotface/oneshot/train/prepare"
)

// flippedTargets asks for the teacher's embeddings of mirrored faces too.
var flippedTargets *bool

// sight has the teacher embed views as the student sees them (-sight).
var sight *bool

// sightCrop names the crop the teacher sees views through with -sight
// when it is not the student's own (-sight-crop).
var sightCrop *string

// retryFine asks the face detector for its finer second scan (-retry).
var retryFine *bool

// fivePoint aligns faces by five points instead of the pupils alone
// (-five-point).
var fivePoint *bool

// arch names the compact architecture to train.
var arch *string

// cpuProfile names the file for a CPU profile ("" for none).
var cpuProfile *string

// views is how many augmented views of each face the teacher embeds for
// consistent distillation (0: distil on the plain face's embedding).
var views *int

// mix is the probability that a view blends two faces (-mix).
var mix *float64

// viewSeeds lists the sets of views to distil on (-view-seeds).
var viewSeeds *string

// initFrom names a model file whose weights start the run (-init).
var initFrom *string

// newLength lets -resume continue a run begun with another -epochs.
var newLength bool

func main() {
	log.SetFlags(0)
	data, _ := dataset.Root()
	def := train.DefaultConfig()
	var (
		images   = flag.String("images", filepath.Join(data, "lfw", "images"), "folder of identity sub-folders")
		people   = flag.String("people", filepath.Join(data, "lfw", "peopleDevTrain.txt"), "people list restricting -images (\"\" for every sub-folder)")
		orl      = flag.String("orl", filepath.Join(data, "orl"), "ORL folder to add (\"\" for none)")
		fiw      = flag.String("fiw", filepath.Join(data, "fiw", "peopleTrain.txt"), "Families in the Wild people list to add, its images in the images/ folder beside it (\"\" for none; never peopleVal.txt)")
		valPairs = flag.String("val", filepath.Join(data, "lfw", "pairsDevTrain.txt"), "pairs of training people for validation and the threshold")
		teach    = flag.String("teacher", "build/teacher.oneshot", "teacher model file (\"\" for triplet loss only)")
		cacheDir = flag.String("cache", "build/cache", "folder for the teacher-embedding cache")
		out      = flag.String("out", "models/compact.oneshot", "model file to write")
		ckpt     = flag.String("checkpoint", "build/train.ckpt", "checkpoint file, written every epoch")
		resume   = flag.Bool("resume", false, "continue from -checkpoint")
		newLen   = flag.Bool("new-length", false, "with -resume: the checkpoint's run may have had another -epochs; it continues on the cosine of this -epochs")
		workers  = flag.Int("workers", runtime.NumCPU(), "parallel workers for preparation and augmentation")
	)
	arch = flag.String("arch", embedder.CompactV2.Name, "architecture: compact-v1, compact-v2, compact-v2-80 (can start from compact-v2: -init) or compact-v2-deep (grows from compact-v2: -init)")
	cpuProfile = flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	initFrom = flag.String("init", "", "start from this model file's weights (same -arch, or the one -arch grows or rescales from: compact-v2 for compact-v2-deep and compact-v2-80) instead of fresh ones: a new run with its own schedule")
	views = flag.Int("views", 0, "distil on the teacher's embeddings of this many augmented views of each face, the student seeing the same views (0: jitter freely, target the plain face)")
	mix = flag.Float64("mix", 0, "with -views: probability that a view (other than the plain one) blends the face with another, 50–100% its own (0: none)")
	viewSeeds = flag.String("view-seeds", "", "with -views: sets of views to train on together, as seeds each with an optional blend probability, e.g. 1,2:0.5,3:0.7 (a set of -views views per seed; blend probability -mix when not given; a second ':' gives the probability that a blend swaps a band of the face instead, e.g. 6:1:1; a third the probability that a swap takes a side of the face, e.g. 11:1:1:1; 'x' after a seed scales the jitter range, e.g. 13x2:0.5; 'w' and a probability after it warps the shape of that share of the views, e.g. 21w1 or 22x2w0.5:0.5; 'g' and a probability after those puts glasses on that share, e.g. 42x2g1; default: the one set of -seed)")
	flippedTargets = flag.Bool("flipped-targets", false, "also run the teacher on mirrored faces (twice the teacher time)")
	sight = flag.Bool("sight", false, "with -views: the teacher embeds every view as the student sees it — the student's crop enlarged into its own, grey beyond it — so each target depends on the student's input alone (train.Composition.Sight; new teacher views, cached apart)")
	sightCrop = flag.String("sight-crop", "", "with -sight: the crop the teacher sees every view through, when not the student's own: a smaller one of the same framing, compact64 or compact80 (a student of a larger crop then trains on a smaller one's cached views, seeing each view finer; \"\": the student's crop)")
	fivePoint = flag.Bool("five-point", false, "align every face by five points (pupils, nose tip, mouth corners: face.FivePointEyes) instead of the pupils alone; the model's template says so, and its teacher targets and views are cached apart (default: as -init's model does, else the pupils)")
	retryFine = flag.Bool("retry", true, "scan an image once more, on a finer grid, when no face is found (face.Params.RetryFine); -retry=false prepares the faces as runs before commit 09f8ab9 did, so their teacher caches serve again")
	flag.IntVar(&def.Epochs, "epochs", def.Epochs, "epochs")
	flag.IntVar(&def.StepsPerEpoch, "steps", def.StepsPerEpoch, "steps per epoch (0: one pass over the images)")
	flag.IntVar(&def.BatchSize, "batch", def.BatchSize, "images per batch")
	flag.IntVar(&def.IDsPerBatch, "ids", def.IDsPerBatch, "identities with several images per batch")
	var lr, margin, distill, triplet, relation, wd float64
	flag.Float64Var(&lr, "lr", float64(def.LR), "peak learning rate (AdamW, warm-up then cosine)")
	flag.Float64Var(&wd, "wd", float64(def.WeightDecay), "AdamW weight decay")
	flag.Float64Var(&margin, "margin", float64(def.Margin), "triplet margin on squared distances")
	flag.Float64Var(&distill, "distill", float64(def.DistillWeight), "weight of the distillation loss")
	flag.Float64Var(&triplet, "triplet", float64(def.TripletWeight), "weight of the triplet loss")
	flag.Float64Var(&relation, "relation", float64(def.RelationWeight), "weight of relational distillation (the teacher's pairwise distances)")
	var proxy, proxyScale, proxyMargin float64
	flag.Float64Var(&proxy, "proxy", 0, "weight of the softmax over every training person's proxy, the teacher's mean embedding of their faces (train.Config.ProxyWeight; 0: off)")
	flag.Float64Var(&proxyScale, "proxy-scale", 16, "with -proxy: the softmax's scale on cosines")
	flag.Float64Var(&proxyMargin, "proxy-margin", 0, "with -proxy: the cosine margin the right person must win by")
	flag.Uint64Var(&def.Seed, "seed", def.Seed, "random seed (the run is deterministic for a seed)")
	flag.Float64Var(&def.KinShare, "kin", 0.5, "probability that an identity of a family (FIW) drawn for a batch brings a relative along, as its hardest negative (0: identities drawn alone)")
	recipe := flag.String("recipe", "", "run the stages of this recipe file that are not done (make train; see recipe.go), instead of one run of the flags")
	flag.Parse()
	def.LR, def.WeightDecay, def.Margin = float32(lr), float32(wd), float32(margin)
	def.DistillWeight, def.TripletWeight, def.RelationWeight = float32(distill), float32(triplet), float32(relation)
	if proxy != 0 {
		// Off, the scale and margin stay zero, as in checkpoints made before
		// the proxies, so those runs resume.
		def.ProxyWeight, def.ProxyScale, def.ProxyMargin = float32(proxy), float32(proxyScale), float32(proxyMargin)
	}
	def.Workers = *workers

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *recipe != "" {
		if flag.NFlag() > 1 || flag.NArg() > 0 {
			log.Fatal("train: -recipe runs the stages of its file: give it alone")
		}
		if err := runRecipe(ctx, *recipe, filepath.Join("build", "recipe"), goRun); err != nil {
			log.Fatal("train: ", err)
		}
		return
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal("train: ", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal("train: ", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *newLen && !*resume {
		log.Fatal("train: -new-length changes the length of a resumed run: it needs -resume")
	}
	newLength = *newLen
	if err := run(ctx, def, *images, *people, *orl, *fiw, *valPairs, *teach, *cacheDir, *out, *ckpt, *resume); err != nil {
		log.Fatal("train: ", err)
	}
}

func run(ctx context.Context, cfg train.Config, images, peopleFile, orl, fiw, valPairs, teacherPath, cacheDir, out, ckpt string, resume bool) error {
	start := time.Now()
	// The model and the flags first: a mistake in them is reported before
	// a minute of face preparation, not after.
	a, ok := embedder.CompactArchs[*arch]
	if !ok {
		return fmt.Errorf("unknown -arch %q (%s)", *arch, strings.Join(slices.Sorted(maps.Keys(embedder.CompactArchs)), ", "))
	}
	m, err := a.New(cfg.Seed)
	if err != nil {
		return err
	}
	if *initFrom != "" {
		initFive, err := initWeights(a, m, *initFrom)
		if err != nil {
			return err
		}
		log.Printf("starting from the weights of %s", *initFrom)
		set := false
		flag.Visit(func(f *flag.Flag) { set = set || f.Name == "five-point" })
		if initFive && !set {
			*fivePoint = true
			log.Printf("aligning faces by five points, as %s does (-five-point=false for the pupils alone)", *initFrom)
		}
	}
	emb, err := embedder.New(m)
	if err != nil {
		return err
	}
	if *fivePoint {
		emb.Template.FivePoint = true // Describe below writes it into the file
	}
	if *views > 0 && teacherPath == "" {
		return fmt.Errorf("-views %d needs a teacher to embed the views; -teacher is empty", *views)
	}
	if cfg.ProxyWeight != 0 && teacherPath == "" {
		return fmt.Errorf("-proxy %g pulls faces towards the teacher's mean of each person: it needs a teacher; -teacher is empty", cfg.ProxyWeight)
	}
	if *mix != 0 && *views == 0 {
		return fmt.Errorf("-mix %g blends views: it needs -views", *mix)
	}
	if !(*mix >= 0 && *mix <= 1) {
		return fmt.Errorf("-mix %g is a probability: want 0…1", *mix)
	}
	sets, err := parseViewSets(*viewSeeds, cfg.Seed, *mix)
	if err != nil {
		return err
	}
	if *viewSeeds != "" && *views == 0 {
		return fmt.Errorf("-view-seeds %q names sets of views: it needs -views", *viewSeeds)
	}
	if *sight && *views == 0 {
		return errors.New("-sight is how the teacher sees views: it needs -views")
	}
	for i := range sets {
		sets[i].Sight = *sight
	}
	seen, err := sightTemplate(*sightCrop, *sight, emb.Template) // the crop the teacher's views are made for
	if err != nil {
		return err
	}
	var people []dataset.Person
	if peopleFile != "" {
		people, err = dataset.ReadPeopleFile(peopleFile, images)
	} else {
		people, err = dataset.ReadFolders(images)
	}
	if err != nil {
		return err
	}
	if orl != "" {
		o, err := dataset.ReadFolders(orl)
		if err != nil {
			return fmt.Errorf("ORL: %w (pass -orl \"\" to train without it)", err)
		}
		for i := range o {
			o[i].Name = "orl/" + o[i].Name
		}
		people = append(people, o...)
	}
	if fiw != "" {
		f, err := dataset.ReadFIWPeopleFile(fiw, filepath.Join(filepath.Dir(fiw), "images"))
		if err != nil {
			return fmt.Errorf("FIW: %w (pass -fiw \"\" to train without it)", err)
		}
		for i := range f {
			f[i].Name = "fiw/" + f[i].Name
		}
		people = append(people, f...)
	}
	var pairs []dataset.Pair
	if valPairs != "" {
		if pairs, err = dataset.ReadPairsFile(valPairs, images, "lfw"); err != nil {
			return err
		}
		all := len(pairs)
		switch pairs = trainedPairs(pairs, people); {
		case len(pairs) == 0:
			return fmt.Errorf("no pair of %s shows two people trained on (-people): give -val pairs of them (or -val \"\" for no validation and no threshold)", valPairs)
		case len(pairs) < all:
			log.Printf("validating on %d of the %d pairs of %s: the others show people not trained on (-people), whose faces were not prepared", len(pairs), all, valPairs)
		}
	}
	cascades, err := face.LoadCascadesFromModule()
	if err != nil {
		return err
	}
	log.Printf("preparing %d people: detecting faces and pupils", len(people))
	newDetector := func() *face.Detector {
		d := cascades.NewDetector()
		d.Params.RetryFine = *retryFine
		return d
	}
	samples, st, err := prepare.Samples(ctx, people, newDetector, emb.Template, cfg.Workers, bar("faces"))
	if err != nil {
		return err
	}
	log.Printf("\n%d of %d images usable (%d without a face, %d unreadable, %d with estimated eyes)",
		st.Kept, st.Images, st.NoFace, st.Unreadable, st.FallbackEyes)

	var targets *train.Targets
	if teacherPath != "" {
		tm, key, err := loadTeacher(teacherPath)
		if err != nil {
			return err
		}
		if emb.Template.FivePoint {
			// Faces aligned by five points are other crops: their
			// targets and views are cached apart.
			key += "-fivepoint"
		}
		te, err := embedder.New(tm)
		if err != nil {
			return err
		}
		tm.Freeze("")
		teachers := []*embedder.Embedder{te}
		for len(teachers) < cfg.Workers {
			c, err := te.Clone()
			if err != nil {
				return err
			}
			teachers = append(teachers, c)
		}
		cache := filepath.Join(cacheDir, "targets-"+key+".bin")
		written := cache
		if *flippedTargets {
			written = train.FlippedCachePath(cache)
		}
		log.Printf("teacher embeddings (cached in %s)", train.SamplesCachePath(written, samples))
		targets, err = train.TeacherTargets(ctx, teachers, samples, *flippedTargets, cache, key, bar("teacher"))
		if err != nil {
			return err
		}
		if targets.Resumed > 0 {
			log.Printf("\nresumed: %d of the teacher's embeddings were read back from the journal of a stopped run", targets.Resumed)
		}
		if *views > 0 { // else distil on the plain faces
			for _, set := range sets {
				plain := filepath.Join(cacheDir, set.cacheName(key))
				vcache := train.MixedCachePath(plain, set.Composition)
				log.Printf("\nteacher embeddings of %d views of each face, seed %d, jitter ×%g, blend probability %g, swap probability %g, side probability %g, warp probability %g, glasses probability %g, through the student's crop %v (cached in %s, with the views' number and digest before .bin)", *views, set.seed, set.jitter, set.Mix, set.Swap, set.Side, set.Warp, set.Glasses, set.Sight, vcache)
				jitter, err := cfg.Jitter.Scaled(set.jitter)
				if err != nil {
					return err
				}
				vw, err := train.TeacherViews(ctx, teachers, samples, seen, *views, jitter, set.seed, set.Composition, plain, key, bar("views"))
				if err != nil {
					return err
				}
				if vw.Resumed > 0 {
					log.Printf("\nresumed: %d of the %d views were read back from the journal of a stopped run", vw.Resumed, len(vw.Vecs))
				}
				targets.Views = append(targets.Views, vw)
			}
		}
		targets.Centre()
		log.Println()
	}

	tr, err := train.NewTrainer(m, emb.Template, emb.Norm, samples, targets, cfg)
	if err != nil {
		return err
	}
	if err := tr.SetFamilies(families(people)); err != nil {
		return err
	}
	first, history := 0, []train.EpochRecord(nil)
	if resume {
		tr.NewLength = newLength
		if first, history, err = tr.LoadCheckpoint(ckpt); err != nil {
			return err
		}
		log.Printf("resumed from %s at epoch %d (step %d)", ckpt, first+1, tr.Step)
		if newLength {
			log.Printf("the run continues on a cosine over %d epochs (-new-length)", cfg.Epochs)
		}
	}
	log.Printf("training %d parameters on %d images of %d people: %d epochs × %d steps of %d",
		m.NumParams(), len(samples), len(people), cfg.Epochs, tr.StepsPerEpoch(), cfg.BatchSize)
	for ep := first; ep < cfg.Epochs; ep++ {
		stats, err := tr.RunEpoch(ctx, ep, func(p train.Progress) {
			frac := float64(p.Step) / float64(p.Steps)
			n := int(frac * 30)
			fmt.Fprintf(os.Stderr, "\r[%s%s] epoch %d/%d step %d/%d loss %.4f (distill %.4f, triplet %.4f%s, active %2.0f%%) lr %.1e %4.0f img/s ETA %v   ",
				strings.Repeat("#", n), strings.Repeat(".", 30-n), p.Epoch+1, p.Epochs, p.Step, p.Steps,
				p.Loss, p.Distill, p.Triplet, proxyPart(cfg, p.Proxy), 100*p.Active, p.LR, p.ExamplesPerSec, p.ETA.Round(time.Second))
		})
		if err != nil {
			return err
		}
		rec := train.EpochRecord{Epoch: ep, Stats: stats}
		if len(pairs) > 0 {
			v, err := eval.Validate(emb, samples, pairs)
			if err != nil {
				return err
			}
			rec.ValAccuracy, rec.ValThreshold = v.Accuracy, v.Threshold
		}
		history = append(history, rec)
		fmt.Fprintln(os.Stderr)
		log.Printf("epoch %d: loss %.4f distill %.4f triplet %.4f%s active %.0f%%, pairsDevTrain accuracy %.4f (threshold %.3f), %.0fs",
			ep+1, stats.Loss, stats.Distill, stats.Triplet, proxyPart(cfg, stats.Proxy), 100*stats.Active, rec.ValAccuracy, rec.ValThreshold, stats.Seconds)
		if err := os.MkdirAll(filepath.Dir(ckpt), 0o755); err != nil {
			return err
		}
		if err := tr.SaveCheckpoint(ckpt, ep+1, history); err != nil {
			return err
		}
	}
	threshold := float32(0)
	if len(pairs) > 0 {
		v, err := eval.Validate(emb, samples, pairs)
		if err != nil {
			return err
		}
		threshold = v.Threshold
		log.Printf("calibrated threshold on pairsDevTrain: %.4f (accuracy %.4f ± %.4f)", threshold, v.Accuracy, v.Std)
	}
	if err := embedder.Describe(m, emb.Template, emb.Norm, threshold); err != nil {
		return err
	}
	m.Meta["trained_by"] = "cmd/train " + strings.Join(os.Args[1:], " ")
	m.Meta["seed"] = fmt.Sprint(cfg.Seed)
	m.Meta["wall_time"] = time.Since(start).Round(time.Second).String()
	m.Meta["epochs_time"] = epochsTime(history).String()
	return saveModel(out, m)
}

// epochsTime is the time spent in the epochs of history, the ones before
// a -resume included: the training time of a run stopped and resumed,
// where wall_time counts only the last process (face preparation and
// teacher included).
func epochsTime(history []train.EpochRecord) time.Duration {
	var s float64
	for _, r := range history {
		s += r.Stats.Seconds
	}
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}

// viewSet is one set of views to distil on: its seed, how strongly its
// views are jittered (a factor of the run's jitter range, 1 for the range
// itself) and how they are composed with second faces (train.Composition).
type viewSet struct {
	seed   uint64
	jitter float64
	train.Composition
}

// cacheName is the file in the cache folder that holds the set's plain
// views (train.MixedCachePath adds the composition), e.g.
// views-KEY-seed13-jitter2.bin; sets of the plain range keep the names
// they have always had.
func (s viewSet) cacheName(key string) string {
	name := fmt.Sprintf("views-%s-seed%d", key, s.seed)
	if s.jitter != 1 {
		name += fmt.Sprintf("-jitter%g", s.jitter)
	}
	return name + ".bin"
}

// maxJitter bounds -view-seeds' jitter factors: four times the default
// range turns faces by up to 20° and moves them by a fifth of the pupil
// distance, as far as an aligned face is worth distorting.
const maxJitter = 4

// parseViewSets reads -view-seeds: a comma-separated list of seeds, each
// optionally followed by "x" and a factor on the jitter range (2: twice
// as strong; 1 when not given), by ":" and its blend probability (mix
// when not given), by another ":" and the probability that a blend swaps
// a band of the face instead, and by a third ":" and the probability that
// a swap takes a side of the face rather than a horizontal band (each 0
// when not given). A "w" and a probability after the seed (and its jitter
// factor) warp that share of the views (train.Warp), e.g. 21w1 or
// 22x2w0.5:0.5; a "g" and a probability after those put glasses on that
// share of the views (train.Glasses), e.g. 42x2g1 or 43w1g0.5. The empty
// list is the one set of the run's seed.
func parseViewSets(list string, seed uint64, mix float64) ([]viewSet, error) {
	if strings.TrimSpace(list) == "" {
		return []viewSet{{seed, 1, train.Composition{Mix: mix}}}, nil
	}
	var sets []viewSet
	seen := map[uint64]bool{}
	for _, item := range strings.Split(list, ",") {
		fields := strings.Split(strings.TrimSpace(item), ":")
		if len(fields) > 4 {
			return nil, fmt.Errorf("-view-seeds: %q: at most seed:blend:swap:side", item)
		}
		set := viewSet{jitter: 1, Composition: train.Composition{Mix: mix}}
		var err error
		setPart, glassesText, glassed := strings.Cut(fields[0], "g")
		seedPart, warpText, warped := strings.Cut(setPart, "w")
		seedText, jitterText, strong := strings.Cut(seedPart, "x")
		if set.seed, err = strconv.ParseUint(seedText, 10, 64); err != nil {
			return nil, fmt.Errorf("-view-seeds: %q is not a seed (want e.g. 1,2:0.5,3:1:0.5,4x2)", item)
		}
		if strong {
			if set.jitter, err = strconv.ParseFloat(jitterText, 64); err != nil || !(set.jitter > 0 && set.jitter <= maxJitter) {
				return nil, fmt.Errorf("-view-seeds: %q: the jitter factor after 'x' must be in (0, %g]", item, float64(maxJitter))
			}
		}
		if warped {
			if set.Warp, err = strconv.ParseFloat(warpText, 64); err != nil || !(set.Warp > 0 && set.Warp <= 1) {
				return nil, fmt.Errorf("-view-seeds: %q: the warp probability after 'w' must be in (0, 1]", item)
			}
		}
		if glassed {
			if set.Glasses, err = strconv.ParseFloat(glassesText, 64); err != nil || !(set.Glasses > 0 && set.Glasses <= 1) {
				return nil, fmt.Errorf("-view-seeds: %q: the glasses probability after 'g' must be in (0, 1]", item)
			}
		}
		if len(fields) > 1 {
			if set.Mix, err = strconv.ParseFloat(fields[1], 64); err != nil || !(set.Mix >= 0 && set.Mix <= 1) {
				return nil, fmt.Errorf("-view-seeds: %q: the blend probability after ':' must be 0…1", item)
			}
		}
		if len(fields) > 2 {
			if set.Swap, err = strconv.ParseFloat(fields[2], 64); err != nil || !(set.Swap > 0 && set.Swap <= 1) || set.Mix == 0 {
				return nil, fmt.Errorf("-view-seeds: %q: the swap probability after the second ':' must be in (0, 1], and blends on", item)
			}
		}
		if len(fields) > 3 {
			if set.Side, err = strconv.ParseFloat(fields[3], 64); err != nil || !(set.Side > 0 && set.Side <= 1) {
				return nil, fmt.Errorf("-view-seeds: %q: the side probability after the third ':' must be in (0, 1]", item)
			}
		}
		if seen[set.seed] {
			return nil, fmt.Errorf("-view-seeds: seed %d twice (its views would be the same pictures)", set.seed)
		}
		seen[set.seed] = true
		sets = append(sets, set)
	}
	return sets, nil
}

// sightTemplate returns the crop the teacher's views are made for: the
// student's own, or the preset -sight-crop names (name, face.Templates),
// which needs -sight (sight) and must show what the student's crop shows,
// no finer.
func sightTemplate(name string, sight bool, student face.Template) (face.Template, error) {
	if name == "" {
		return student, nil
	}
	t, ok := face.Templates[name]
	switch {
	case !sight:
		return t, fmt.Errorf("-sight-crop %s is the crop the teacher sees views through: it needs -sight", name)
	case !ok:
		return t, fmt.Errorf("unknown -sight-crop %q (%s)", name, strings.Join(slices.Sorted(maps.Keys(face.Templates)), ", "))
	case !t.SameView(student):
		return t, fmt.Errorf("-sight-crop %s frames the face otherwise than the student's %d×%d crop: its views are not the student's", name, student.Width, student.Height)
	case t.PupilDistance() > student.PupilDistance():
		return t, fmt.Errorf("-sight-crop %s is finer than the student's %d×%d crop: the teacher would see what the student cannot", name, student.Width, student.Height)
	}
	return t, nil
}

// initWeights copies the parameters and batch-norm statistics of the model
// file at path into m, a new model of architecture a: the file must be of a
// or of the architecture a grows or rescales from
// (embedder.CompactArch.InitFrom).
func initWeights(a embedder.CompactArch, m *nn.Model, path string) (fivePoint bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("-init: %w", err)
	}
	defer f.Close()
	from, err := nn.Load(f)
	if err != nil {
		return false, fmt.Errorf("-init %s: %w", path, err)
	}
	if err := a.InitFrom(m, from); err != nil {
		return false, fmt.Errorf("-init %s: %w", path, err)
	}
	var t face.Template
	if j, ok := from.Meta[embedder.MetaTemplate]; ok {
		if err := json.Unmarshal([]byte(j), &t); err != nil {
			return false, fmt.Errorf("-init %s: its template: %w", path, err)
		}
	}
	return t.FivePoint, nil
}

// loadTeacher reads the teacher model and a key naming it for the cache.
func loadTeacher(path string) (*nn.Model, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("%v (make it with: bash scripts/fetch-faceapi.sh && go run ./cmd/teacher -out %s)", err, path)
	}
	defer f.Close()
	h := sha256.New()
	m, err := nn.Load(io.TeeReader(f, h))
	if err != nil {
		return nil, "", err
	}
	return m, hex.EncodeToString(h.Sum(nil))[:16], nil
}

// saveModel writes m to path (nn.SaveFile) and logs its size.
func saveModel(path string, m *nn.Model) error {
	n, err := nn.SaveFile(path, m)
	if err != nil {
		return err
	}
	log.Printf("wrote %s (%d bytes)", path, n)
	return nil
}

// bar returns a progress callback drawing a bar on stderr. It measures the
// rate from its first call, which may find part of the work done (the
// teacher's journal of a stopped run).
func bar(what string) func(done, total int) {
	start := time.Now()
	last := time.Time{}
	first := -1 // done at the first call: the work a stopped run left, if any
	return func(done, total int) {
		if first < 0 {
			first = done
		}
		if time.Since(last) < 200*time.Millisecond && done != total {
			return
		}
		last = time.Now()
		el := time.Since(start)
		rate := float64(done-first) / el.Seconds()
		eta := time.Duration(float64(total-done) / math.Max(rate, 1e-9) * float64(time.Second))
		n := done * 30 / max(total, 1)
		fmt.Fprintf(os.Stderr, "\r%-8s [%s%s] %d/%d %5.1f/s ETA %v   ", what, strings.Repeat("#", n), strings.Repeat(".", 30-n), done, total, rate, eta.Round(time.Second))
	}
}

// families numbers the families of people (the label of a sample is its
// person's index): FIW individuals of one family share a number
// (dataset.FIWFamily), everyone else is -1, of no known family.
func families(people []dataset.Person) []int {
	ids := map[string]int{}
	out := make([]int, len(people))
	for i, p := range people {
		out[i] = -1
		if f := dataset.FIWFamily(p.Name); f != "" {
			if _, ok := ids[f]; !ok {
				ids[f] = len(ids)
			}
			out[i] = ids[f]
		}
	}
	return out
}

// trainedPairs keeps the pairs both of whose images belong to people
// trained on. Validation embeds only the prepared faces of those people,
// and it counts a pair with an image it has no face for as an error (as
// cmd/eval does when no face is found): without this filter a run on a
// subset of the people (some held out of training) would count every pair
// of a held-out person as an error. Each kept pair keeps its fold.
func trainedPairs(pairs []dataset.Pair, people []dataset.Person) []dataset.Pair {
	images := map[string]bool{}
	for _, p := range people {
		for _, im := range p.Images {
			images[filepath.Clean(im)] = true
		}
	}
	var kept []dataset.Pair
	for _, p := range pairs {
		if images[filepath.Clean(p.A)] && images[filepath.Clean(p.B)] {
			kept = append(kept, p)
		}
	}
	return kept
}

// proxyPart is the proxy softmax's share of a progress line, empty when it
// is off.
func proxyPart(cfg train.Config, proxy float64) string {
	if cfg.ProxyWeight == 0 {
		return ""
	}
	return fmt.Sprintf(", proxy %.4f", proxy)
}
