// Command liveness-eval measures the liveness challenge (package liveness)
// the way ISO/IEC 30107-3 measures presentation attack detection, and
// prints one table:
//
//	go run ./cmd/liveness-eval                 # test people: LFW peopleDevTest, FIW peopleVal; ORL
//	go run ./cmd/liveness-eval -split train    # training people: to choose thresholds on
//	go run ./cmd/liveness-eval -n 40 -turn 0.1 # fewer people, another turn threshold
//
// APCER, per attack kind: of the photograph attacks (package pad: a still
// photo; the photo moved, scaled and rotated in the image plane; the photo
// tilted as a flat page about a vertical and a horizontal axis, rendered
// through a homography), the share the challenge calls live. Each attack
// photographs a person enrolled from another picture of them (the same
// picture when there is only one) and answers every prompt as its kind
// allows. "live+match" also counts the attacks whose frontal frames
// matched the enrolled person: what an attacker needs to pass.
//
// BPCER: of the genuine sequences (ORL's people, each person's photographs
// ordered by yaw into a head that turns: see package pad), the share the
// challenge calls not live; "not passed" adds those whose frontal frames
// did not match. The line "+mirrored" adds each photograph's mirror image
// to the person's views, so that a person photographed turning one way
// only can answer both prompts.
//
// "reach" is how far each person's photographs turn both ways from the
// frontal one: a person whose reach is below the turn threshold cannot
// pass, however the photographs are played, so the count short of each
// threshold is a floor under the BPCER this proxy can show there.
//
// "held" is the largest turn an attack held on two frames in a row while a
// turn was asked for (the largest and the 95th percentile over the
// attacks), to set beside the turn threshold: the margin a threshold has.
//
// Thresholds are chosen with -split train (LFW peopleDevTrain, FIW
// peopleTrain, ORL s1–s20) and reported on the test split (LFW
// peopleDevTest, FIW peopleVal, ORL s21–s40).
//
// Flags:
//
//	-model FILE   model file (default models/compact.oneshot)
//	-split S      test (default) or train
//	-n N          people per set of photographs (default 100)
//	-fps F        simulated frames a second (default 5)
//	-turn T       liveness turn threshold (default liveness.DefaultConfig's)
//	-workers N    presentations played in parallel (default 2)
//	-only H       attacks or genuine: one half of the table
//	-v            print each presentation's verdict
//
// $ONESHOT_DATA defaults to ../shared/data; the data are read where they
// are, never copied.
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/engine"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/liveness"
	"github.com/oneshotface/oneshot/liveness/pad"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "liveness-eval:", err)
		os.Exit(1)
	}
}

type config struct {
	model   []byte
	split   string
	n       int
	fps     float64
	turn    float64
	workers int
	verbose bool
	root    string
	casc    *face.Cascades
	lc      *face.LandmarkCascades
}

func run() error {
	modelPath := flag.String("model", "models/compact.oneshot", "model file")
	split := flag.String("split", "test", "test or train")
	n := flag.Int("n", 100, "people per set of photographs")
	fps := flag.Float64("fps", 5, "simulated frames a second")
	turn := flag.Float64("turn", 0, "turn threshold (0: the default)")
	workers := flag.Int("workers", 2, "presentations played in parallel")
	verbose := flag.Bool("v", false, "print each presentation")
	only := flag.String("only", "", "attacks or genuine: run one half of the table")
	flag.Parse()
	if *split != "test" && *split != "train" {
		return fmt.Errorf("-split is %q: give test or train", *split)
	}
	if *n < 1 || *workers < 1 || !(*fps > 0) {
		return fmt.Errorf("-n, -workers and -fps must be positive")
	}
	model, err := os.ReadFile(*modelPath)
	if err != nil {
		return err
	}
	root, err := dataset.Root()
	if err != nil {
		return err
	}
	casc, err := face.LoadCascadesFromModule()
	if err != nil {
		return err
	}
	lc, err := face.LoadLandmarkCascadesFromModule()
	if err != nil {
		return err
	}
	cfg := &config{model: model, split: *split, n: *n, fps: *fps, turn: *turn, workers: *workers, verbose: *verbose, root: root, casc: casc, lc: lc}
	turnShown := cfg.turn
	if turnShown == 0 {
		turnShown = liveness.DefaultConfig().Turn
	}
	fmt.Printf("liveness challenge, %s split, turn threshold %.3f, %g frames/s, measured %s\n\n", cfg.split, turnShown, cfg.fps, time.Now().UTC().Format("2006-01-02"))

	if *only != "" && *only != "attacks" && *only != "genuine" {
		return fmt.Errorf("-only is %q: give attacks or genuine", *only)
	}
	if *only != "genuine" {
		if err := cfg.attackTable(root); err != nil {
			return err
		}
	}
	if *only != "attacks" {
		return cfg.genuineTable(root)
	}
	return nil
}

// attackTable prints the APCER of every attack kind on the split's LFW and
// FIW people.
func (cfg *config) attackTable(root string) error {
	lfwList, fiwList := "peopleDevTest.txt", "peopleVal.txt"
	if cfg.split == "train" {
		lfwList, fiwList = "peopleDevTrain.txt", "peopleTrain.txt"
	}
	lfw, err := dataset.ReadPeopleFile(filepath.Join(root, "lfw", lfwList), filepath.Join(root, "lfw", "images"))
	if err != nil {
		return err
	}
	fiw, err := dataset.ReadFIWPeopleFile(filepath.Join(root, "fiw", fiwList), filepath.Join(root, "fiw", "images"))
	if err != nil {
		return err
	}
	fmt.Printf("%-5s %-38s %6s %6s %7s %11s %8s %12s\n", "set", "attack kind", "tried", "live", "APCER", "live+match", "skipped", "held: max 95%")
	for _, set := range []struct {
		name   string
		people []dataset.Person
	}{{"LFW " + strings.TrimSuffix(lfwList, ".txt"), lfw}, {"FIW " + strings.TrimSuffix(fiwList, ".txt"), fiw}} {
		people := pick(set.people, cfg.n)
		for _, k := range pad.Kinds {
			r := cfg.attacks(people, k)
			mx, p95 := quantiles(r.held)
			fmt.Printf("%-5s %-38s %6d %6d %6.1f%% %11d %8d %6.3f %6.3f\n", strings.Fields(set.name)[0], k, r.tried, r.live, pct(r.live, r.tried), r.passed, r.skipped, mx, p95)
		}
	}
	fmt.Println()
	return nil
}

// genuineTable prints the BPCER of the split's ORL people played as heads
// that turn, as photographed and with their mirror images.
func (cfg *config) genuineTable(root string) error {
	orl, err := dataset.ReadFolders(filepath.Join(root, "orl"))
	if err != nil {
		return err
	}
	sort.Slice(orl, func(i, j int) bool { return orlNum(orl[i].Name) < orlNum(orl[j].Name) })
	fmt.Printf("%-36s %6s %10s %7s %11s %12s\n", "genuine (ORL, by yaw)", "tried", "not live", "BPCER", "not passed", "not enrolled")
	lines := []struct {
		name   string
		people []dataset.Person
	}{}
	if cfg.split == "train" {
		lines = append(lines, struct {
			name   string
			people []dataset.Person
		}{"ORL s1–s20", orl[:20]})
	} else {
		lines = append(lines, struct {
			name   string
			people []dataset.Person
		}{"ORL s21–s40", orl[20:]})
	}
	for _, mirror := range []bool{false, true} {
		for _, l := range lines {
			g := cfg.genuine(l.people, mirror)
			name := l.name
			if mirror {
				name += " +mirrored"
			}
			fmt.Printf("%-36s %6d %10d %6.1f%% %11d %12d\n", name, g.tried, g.notLive, pct(g.notLive, g.tried), g.notPassed, g.notEnrolled)
			if cfg.verbose {
				for _, r := range g.reasons {
					fmt.Printf("    %s\n", r)
				}
			}
			fmt.Printf("    how far the photographs turn both ways (reach): %s\n", reachLine(g.reach))
		}
	}
	return nil
}

// reachLine says how many people's photographs reach each of a few turn
// thresholds both ways: the share that cannot pass at that threshold is a
// floor under the BPCER these photographs can show there.
func reachLine(reach []float64) string {
	var parts []string
	for _, t := range []float64{0.06, 0.08, 0.10, 0.12, 0.15} {
		n := 0
		for _, r := range reach {
			if r < t {
				n++
			}
		}
		parts = append(parts, fmt.Sprintf("%d of %d short of %.2f", n, len(reach), t))
	}
	return strings.Join(parts, ", ")
}

// quantiles returns the largest value of v and its 95th percentile.
func quantiles(v []float64) (float64, float64) {
	if len(v) == 0 {
		return 0, 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)-1], s[int(0.95*float64(len(s)-1))]
}

// pick takes n people evenly spread over the list, in file order.
func pick(people []dataset.Person, n int) []dataset.Person {
	if n >= len(people) {
		return people
	}
	out := make([]dataset.Person, 0, n)
	for i := range n {
		out = append(out, people[i*len(people)/n])
	}
	return out
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func orlNum(name string) int {
	var n int
	fmt.Sscanf(strings.TrimPrefix(name, "s"), "%d", &n)
	return n
}

// newEngine makes one worker's engine.
func (c *config) newEngine() (*engine.Engine, error) {
	e, err := engine.Load(c.casc, c.model)
	if err != nil {
		return nil, err
	}
	return e, e.SetLandmarks(c.lc)
}

func (c *config) opts(seed uint64) engine.ChallengeOptions {
	return engine.ChallengeOptions{Seed: seed, Turn: c.turn}
}

// maxFrames bounds a presentation: four moves at their time limit.
func (c *config) maxFrames() int {
	return int(4*liveness.DefaultConfig().MoveTimeout.Seconds()*c.fps) + 10
}

type attackResult struct {
	tried, live, passed, skipped int
	held                         []float64
}

// attacks plays attacks of kind k made from each person's photographs.
func (c *config) attacks(people []dataset.Person, k pad.Kind) attackResult {
	var mu sync.Mutex
	var r attackResult
	c.parallel(len(people), func(e *engine.Engine, d *face.Detector, i int) {
		p := people[i]
		out, ok, err := c.attack(e, d, p, k, uint64(i+1))
		mu.Lock()
		defer mu.Unlock()
		if err != nil || !ok {
			r.skipped++
			if c.verbose {
				fmt.Fprintf(os.Stderr, "  skip %s: %v\n", p.Name, err)
			}
			return
		}
		r.tried++
		r.held = append(r.held, out.Held)
		if out.State.Live {
			r.live++
		}
		if out.State.Passed {
			r.passed++
		}
		if c.verbose {
			fmt.Fprintf(os.Stderr, "  %-30s %-12s live=%v match=%v frames=%d held=%.3f %v\n", p.Name, k, out.State.Live, out.State.Match, out.Frames, out.Held, out.State.Reasons)
		}
	})
	return r
}

// attack enrolls p from their first photograph and attacks with their
// second (or the first again).
func (c *config) attack(e *engine.Engine, d *face.Detector, p dataset.Person, k pad.Kind, seed uint64) (pad.Outcome, bool, error) {
	imgs := make([]image.Image, 0, 2)
	for _, path := range p.Images[:min(2, len(p.Images))] {
		img, err := loadImage(path)
		if err != nil {
			return pad.Outcome{}, false, err
		}
		imgs = append(imgs, img)
	}
	enrollImg, attackImg := imgs[0], imgs[len(imgs)-1]
	id := "person"
	_ = e.Remove(id)
	res, err := e.Enroll(id, []engine.Frame{pad.FrameOf(toRGBA(enrollImg))})
	if err != nil || !res.Enrolled {
		res, err = e.Enroll(id, []engine.Frame{pad.FrameOf(toRGBA(attackImg))})
		if err != nil || !res.Enrolled {
			return pad.Outcome{}, false, fmt.Errorf("cannot enroll: %v", err)
		}
	}
	scale, ok := photoScale(d, attackImg)
	if !ok {
		return pad.Outcome{}, false, fmt.Errorf("no face in the attack photograph")
	}
	a := pad.NewAttack(k, pad.NewScene(attackImg, scale), seed)
	out, err := pad.Play(e, id, c.opts(seed), a, c.fps, c.maxFrames())
	return out, err == nil, err
}

// photoScale is the scale that puts the photograph's pupils about 80 px
// apart in the frame, as a face at arm's length from a webcam.
func photoScale(d *face.Detector, img image.Image) (float64, bool) {
	a, err := d.Analyze(img)
	if err != nil || len(a.Faces) == 0 {
		return 0, false
	}
	return min(max(80/a.Eyes.Distance(), 0.8), 5), true
}

type genuineResult struct {
	tried, notLive, notPassed, notEnrolled int
	reasons                                []string
	reach                                  []float64 // each person's Genuine.Reach
}

// genuine plays each ORL person's photographs as a head turning.
// With mirror, each photograph's mirror image joins the person's views: a
// real head turned one way, mirrored, is a real head turned the other way,
// so a person photographed turning to one side only can answer both.
func (c *config) genuine(people []dataset.Person, mirror bool) genuineResult {
	var mu sync.Mutex
	var g genuineResult
	c.parallel(len(people), func(e *engine.Engine, d *face.Detector, i int) {
		p := people[i]
		var photos []image.Image
		for _, path := range p.Images {
			img, err := loadImage(path)
			if err == nil {
				photos = append(photos, img)
				if mirror {
					photos = append(photos, mirrored(img))
				}
			}
		}
		views := pad.MeasureViews(photos, 3.2, d, c.lc)
		out, reach, err := c.genuineOne(e, views, uint64(100+i))
		mu.Lock()
		defer mu.Unlock()
		if errors.Is(err, errEnroll) {
			g.notEnrolled++
			g.reasons = append(g.reasons, fmt.Sprintf("%s not enrolled: %v", p.Name, err))
			return
		}
		g.tried++
		g.reach = append(g.reach, reach)
		if err != nil || !out.State.Live {
			g.notLive++
			g.reasons = append(g.reasons, fmt.Sprintf("%s not live: %v%v", p.Name, err, out.State.Reasons))
		}
		if err != nil || !out.State.Passed {
			g.notPassed++
			if err == nil && out.State.Live {
				g.reasons = append(g.reasons, fmt.Sprintf("%s live, not matched: %v", p.Name, out.State.Reasons))
			}
		}
		if c.verbose {
			fmt.Fprintf(os.Stderr, "  %-6s live=%v match=%v frames=%d views=%d held=%.3f %v\n", p.Name, out.State.Live, out.State.Match, out.Frames, len(views), out.Held, out.State.Reasons)
		}
	})
	sort.Strings(g.reasons)
	return g
}

// errEnroll marks a person the engine could not enroll (a failure to
// enroll, counted apart from the challenge's errors).
var errEnroll = errors.New("cannot enroll")

// genuineOne enrolls a person from the view nearest in yaw to the frontal
// one the player shows, and plays the challenge; reach is how far the
// views turn both ways (pad.Genuine.Reach).
func (c *config) genuineOne(e *engine.Engine, views []pad.View, seed uint64) (pad.Outcome, float64, error) {
	g, err := pad.NewGenuine(views, seed)
	if err != nil {
		return pad.Outcome{}, 0, err
	}
	enroll := g.Center
	best := -1.0
	for _, v := range views {
		if v.Frame == g.Center.Frame {
			continue
		}
		if d := abs(v.Yaw - g.Center.Yaw); best < 0 || d < best {
			best, enroll = d, v
		}
	}
	id := "person"
	_ = e.Remove(id)
	if res, err := e.Enroll(id, []engine.Frame{pad.FrameOf(enroll.Frame)}); err != nil || !res.Enrolled {
		if res, err := e.Enroll(id, []engine.Frame{pad.FrameOf(g.Center.Frame)}); err != nil || !res.Enrolled {
			return pad.Outcome{}, 0, fmt.Errorf("%w: %v", errEnroll, err)
		}
	}
	out, err := pad.Play(e, id, c.opts(seed), g, c.fps, c.maxFrames())
	return out, g.Reach(), err
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// parallel runs f(i) for i < n on c.workers goroutines, each with its own
// engine and detector.
func (c *config) parallel(n int, f func(e *engine.Engine, d *face.Detector, i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range c.workers {
		e, err := c.newEngine()
		if err != nil {
			fmt.Fprintln(os.Stderr, "liveness-eval:", err)
			os.Exit(1)
		}
		d := c.casc.NewDetector()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(e, d, i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func loadImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := face.DecodePhoto(f)
	return img, err
}

// mirrored is img flipped left to right.
func mirrored(img image.Image) *image.RGBA {
	src := toRGBA(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	out := image.NewRGBA(src.Rect)
	for y := range h {
		for x := range w {
			copy(out.Pix[y*out.Stride+4*x:y*out.Stride+4*x+4], src.Pix[y*src.Stride+4*(w-1-x):])
		}
	}
	return out
}

func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}
