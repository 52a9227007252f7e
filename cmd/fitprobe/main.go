// Command fitprobe asks how well the compact embedder has learnt the
// teacher's function, on the people it was trained on and on people it
// has never seen: for a sample of LFW's training people (peopleDevTrain)
// and of its test people (peopleDevTest), it aligns each plain face for
// both networks, and prints the mean distillation loss ‖f(x) − t̂(x)‖²
// between the student's embedding f and the teacher's t̂, centred on the
// mean of the teacher's embeddings of the sampled training faces and
// scaled to unit length, as cmd/train's targets are.
//
//	go run ./cmd/fitprobe -model models/compact.oneshot
//
// takes about four minutes on 2 cores (every fourth person of each list).
// A loss much lower on the training people than on the test people means
// the student has learnt the teacher's answers for the faces it saw more
// than the teacher's function: more varied training pictures, not more
// capacity, is then what helps. Measured 2026-11-29 (MODEL_CARD.md): 0.400
// against 0.632 for the shipped model. It reads the test people's images
// but not their labels, and chooses nothing: a diagnostic, not a tuning
// step.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"path/filepath"
	"runtime"

	"github.com/oneshotface/oneshot/dataset"
	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/train"
)

func main() {
	data, _ := dataset.Root() // "" when absent: the flags then say where
	model := flag.String("model", "models/compact.oneshot", "student model file")
	teacher := flag.String("teacher", "build/teacher.oneshot", "teacher model file (go run ./cmd/teacher)")
	lfw := flag.String("lfw", filepath.Join(data, "lfw"), "LFW folder (images/, peopleDevTrain.txt, peopleDevTest.txt)")
	every := flag.Int("every", 4, "take every n-th person of each list")
	flag.Parse()
	if err := run(*model, *teacher, *lfw, *every); err != nil {
		log.Fatal("fitprobe: ", err)
	}
}

func run(model, teacher, lfw string, every int) error {
	if every < 1 {
		return fmt.Errorf("-every %d: want ≥ 1", every)
	}
	st, err := embedder.Open(model)
	if err != nil {
		return err
	}
	te, err := embedder.Open(teacher)
	if err != nil {
		return err
	}
	cascades, err := face.LoadCascadesFromModule()
	if err != nil {
		return err
	}
	var mean []float64 // of the teacher's embeddings of the training faces
	for _, list := range []string{"peopleDevTrain.txt", "peopleDevTest.txt"} {
		people, err := dataset.ReadPeopleFile(filepath.Join(lfw, list), filepath.Join(lfw, "images"))
		if err != nil {
			return err
		}
		var some []dataset.Person
		for i := 0; i < len(people); i += every {
			some = append(some, people[i])
		}
		samples, _, err := train.Prepare(context.Background(), some, cascades.NewDetector, runtime.NumCPU(), nil)
		if err != nil {
			return err
		}
		var ts, ss [][]float32
		for _, s := range samples {
			t, err := te.Embed(s.Img, s.Eyes)
			if err != nil {
				return err
			}
			v, err := st.Embed(s.Img, s.Eyes)
			if err != nil {
				return err
			}
			ts, ss = append(ts, t), append(ss, v)
		}
		if len(ts) == 0 {
			return fmt.Errorf("%s: no face found in %d people", list, len(some))
		}
		if mean == nil {
			mean = meanOf(ts)
		}
		m, sd := fit(ts, ss, mean)
		fmt.Printf("%s: %d people, %d faces: distillation loss %.4f (sd %.3f; cosine %.3f)\n", list, len(some), len(ts), m, sd, 1-m/2)
	}
	return nil
}

// meanOf is the mean of vecs.
func meanOf(vecs [][]float32) []float64 {
	mean := make([]float64, len(vecs[0]))
	for _, v := range vecs {
		for i, x := range v {
			mean[i] += float64(x) / float64(len(vecs))
		}
	}
	return mean
}

// fit returns the mean and standard deviation over faces of the squared
// distance between the student's unit embedding s and the teacher's t
// centred on mean and scaled to unit length.
func fit(ts, ss [][]float32, mean []float64) (m, sd float64) {
	var sum, sumSq float64
	for k, t := range ts {
		c := make([]float64, len(t))
		var n float64
		for i := range c {
			c[i] = float64(t[i]) - mean[i]
			n += c[i] * c[i]
		}
		var d float64
		for i := range c {
			x := c[i]/math.Sqrt(n) - float64(ss[k][i])
			d += x * x
		}
		sum += d
		sumSq += d * d
	}
	m = sum / float64(len(ts))
	return m, math.Sqrt(max(0, sumSq/float64(len(ts))-m*m))
}
