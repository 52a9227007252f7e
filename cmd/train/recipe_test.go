package main

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/oneshotface/oneshot/embedder"
	"github.com/oneshotface/oneshot/nn"
)

func TestParseRecipe(t *testing.T) {
	stages, err := parseRecipe(strings.NewReader("# the model\n\na train -epochs 2 -out x.oneshot # first\nb cohort -model x.oneshot -out=y.oneshot\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 || stages[0].Name != "a" || stages[0].flag("out") != "x.oneshot" || stages[1].flag("out") != "y.oneshot" || stages[1].Line != 4 {
		t.Fatalf("parsed %+v", stages)
	}
	if in := stages[0].inputs(); !slices.Equal(in, []string{"build/teacher.oneshot"}) {
		t.Errorf("train stage inputs %v, want the default teacher", in)
	}
	s := stage{Command: "soup", Args: []string{"-out", "s.oneshot", "a.oneshot", "b.oneshot"}}
	if in := s.inputs(); !slices.Equal(in, []string{"a.oneshot", "b.oneshot"}) {
		t.Errorf("soup inputs %v", in)
	}
	s = stage{Command: "train", Args: []string{"-teacher", "", "-init", "m.oneshot", "-out", "o"}}
	if in := s.inputs(); !slices.Equal(in, []string{"m.oneshot"}) {
		t.Errorf("train without a teacher: inputs %v", in)
	}
	for recipe, why := range map[string]string{
		"":                                  "no stages",
		"a make -out x\n":                   "an unknown command",
		"a train -epochs 2\n":               "no -out",
		"a train -out x\na soup -out y\n":   "a name twice",
		"a train -out x\nb cohort -out x\n": "one output twice",
		"lonely\n":                          "no command",
	} {
		if _, err := parseRecipe(strings.NewReader(recipe)); err == nil {
			t.Errorf("%s: accepted", why)
		}
	}
}

// TestRunRecipe runs a recipe of three stages with a fake command runner
// and checks that stages are done once, that a changed input runs its
// stage and the stages after it again, that a stage started and stopped
// resumes from its checkpoint, and that the last model names its recipe.
func TestRunRecipe(t *testing.T) {
	t.Chdir(t.TempDir())
	m, err := embedder.NewCompact(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("teacher.oneshot", []byte("teacher"), 0o644); err != nil {
		t.Fatal(err)
	}
	recipe := "one train -teacher teacher.oneshot -out a.oneshot -checkpoint a.ckpt\n" +
		"two train -teacher teacher.oneshot -init a.oneshot -out b.oneshot -checkpoint b.ckpt\n" +
		"ship cohort -model b.oneshot -out final.oneshot\n"
	if err := os.WriteFile("model.recipe", []byte(recipe), 0o644); err != nil {
		t.Fatal(err)
	}
	var ran []string
	fail := ""
	exec := func(ctx context.Context, s stage) error {
		ran = append(ran, s.Name+" "+strings.Join(s.Args, " "))
		if s.Name == fail {
			return errors.New("stopped")
		}
		if s.Command == "cohort" {
			_, err := nn.SaveFile(s.flag("out"), m)
			return err
		}
		// A trained model depends on the one it starts from.
		out := []byte(s.Name)
		if init := s.flag("init"); init != "" {
			b, err := os.ReadFile(init)
			if err != nil {
				return err
			}
			out = append(out, b...)
		}
		return os.WriteFile(s.flag("out"), out, 0o644)
	}
	run := func() []string {
		t.Helper()
		ran = nil
		if err := runRecipe(context.Background(), "model.recipe", "stamps", exec); err != nil {
			t.Fatal(err)
		}
		return ran
	}
	names := func(r []string) (out []string) {
		for _, s := range r {
			name, _, _ := strings.Cut(s, " ")
			out = append(out, name)
		}
		return out
	}
	if got := names(run()); !slices.Equal(got, []string{"one", "two", "ship"}) {
		t.Fatalf("first run ran %v, want every stage", got)
	}
	f, err := os.Open("final.oneshot")
	if err != nil {
		t.Fatal(err)
	}
	final, err := nn.Load(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if r := final.Meta["recipe"]; !strings.HasPrefix(r, "model.recipe sha256:") {
		t.Errorf("the model names the recipe %q", r)
	}
	if got := run(); len(got) != 0 {
		t.Fatalf("second run ran %v, want nothing (all done)", got)
	}
	// A changed input: stage two's model from stage one.
	if err := os.WriteFile("a.oneshot", []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := names(run()); !slices.Equal(got, []string{"two", "ship"}) {
		t.Fatalf("after a.oneshot changed, ran %v, want two and ship", got)
	}
	// Stage two stops after writing its checkpoint; the next run resumes it.
	if err := os.WriteFile("teacher.oneshot", []byte("another teacher"), 0o644); err != nil {
		t.Fatal(err)
	}
	fail = "two"
	ran = nil
	if err := runRecipe(context.Background(), "model.recipe", "stamps", exec); err == nil || !strings.Contains(err.Error(), "stage two") {
		t.Fatalf("a failed stage gave %v", err)
	}
	if got := names(ran); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("after the teacher changed, ran %v until the failure, want one and two", got)
	}
	if err := os.WriteFile("b.ckpt", []byte("checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	fail = ""
	got := run()
	if len(got) != 2 || !strings.HasPrefix(got[0], "two ") || !strings.HasSuffix(got[0], " -resume") || got[1] != "ship -model b.oneshot -out final.oneshot" {
		t.Fatalf("after a stop, ran %q: want two with -resume, then ship", got)
	}
}

// TestShippedRecipe parses models/compact.recipe: every stage is well
// formed, each reads only what the teacher or an earlier stage makes, and
// the last writes the shipped model.
func TestShippedRecipe(t *testing.T) {
	f, err := os.Open("../../models/compact.recipe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stages, err := parseRecipe(f)
	if err != nil {
		t.Fatal(err)
	}
	made := map[string]bool{"build/teacher.oneshot": true}
	for _, s := range stages {
		for _, in := range s.inputs() {
			if !made[in] {
				t.Errorf("stage %s reads %s, which no earlier stage makes", s.Name, in)
			}
		}
		made[s.flag("out")] = true
	}
	if last := stages[len(stages)-1].flag("out"); last != "models/compact.oneshot" {
		t.Errorf("the last stage writes %s, not the shipped model", last)
	}
}
