package main

// A recipe is how a shipped model is trained, written as data: a file of
// stages, one a line, each a command of this repository with its flags,
// run in order by `go run ./cmd/train -recipe FILE` (make train):
//
//	# a comment
//	NAME  COMMAND FLAGS...
//
// COMMAND is train, soup or cohort (run as go run ./cmd/COMMAND; train
// stages with the simd experiment when ONESHOT_SIMD is not 0, as the
// Makefile builds). A stage writes its -out file; it reads the model files
// of its -init and -model flags, a soup the .oneshot files among its
// arguments, and a train stage the teacher (build/teacher.oneshot unless
// it names another with -teacher). The runner keeps, in build/recipe/, a
// stamp per stage: the digest of its line and of its inputs' contents.
//
//   - A stage is done, and skipped, when its output exists and its stamp
//     is the one the line and inputs give now: after a restart, or on a
//     machine where the earlier stages' outputs survive, only what is
//     missing or changed runs again.
//   - A train stage that was started with the same line and inputs and left
//     a checkpoint (its -checkpoint) continues from it (-resume), and the
//     runner says so.
//
// When the last stage is done, the runner writes the recipe's name and
// digest into the last output's metadata ("recipe"), so the model file
// names the recipe it was made by.

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/oneshotface/oneshot/nn"
)

// stage is one line of a recipe.
type stage struct {
	Name, Command string
	Args          []string
	Line          int
}

// recipeCommands are the commands a stage may run.
var recipeCommands = []string{"train", "soup", "cohort"}

// parseRecipe reads a recipe (see the comment at the top of this file).
func parseRecipe(r io.Reader) ([]stage, error) {
	sc := bufio.NewScanner(r)
	var stages []stage
	names := map[string]bool{}
	outs := map[string]string{}
	for n := 1; sc.Scan(); n++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || !slices.Contains(recipeCommands, f[1]) {
			return nil, fmt.Errorf("recipe line %d: want \"NAME COMMAND FLAGS...\" with COMMAND one of %s, got %q", n, strings.Join(recipeCommands, ", "), strings.TrimSpace(text))
		}
		s := stage{Name: f[0], Command: f[1], Args: f[2:], Line: n}
		if names[s.Name] {
			return nil, fmt.Errorf("recipe line %d: stage %s twice", n, s.Name)
		}
		names[s.Name] = true
		out := s.flag("out")
		if out == "" {
			return nil, fmt.Errorf("recipe line %d: stage %s has no -out file", n, s.Name)
		}
		if other, ok := outs[out]; ok {
			return nil, fmt.Errorf("recipe line %d: stage %s writes %s, as stage %s does", n, s.Name, out, other)
		}
		outs[out] = s.Name
		stages = append(stages, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(stages) == 0 {
		return nil, errors.New("recipe has no stages")
	}
	return stages, nil
}

// flag returns the value of the stage's flag -name (or --name, -name=v),
// "" when it has none.
func (s stage) flag(name string) string {
	v, _ := s.lookup(name)
	return v
}

// lookup returns the value of the stage's flag -name and whether the
// stage gives it.
func (s stage) lookup(name string) (string, bool) {
	for i, a := range s.Args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if a == name && i+1 < len(s.Args) {
			return s.Args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// inputs are the files the stage reads, whose contents its stamp covers.
func (s stage) inputs() []string {
	var in []string
	for _, f := range []string{"init", "model"} {
		if v := s.flag(f); v != "" {
			in = append(in, v)
		}
	}
	if s.Command == "soup" {
		for _, a := range s.Args {
			if strings.HasSuffix(a, ".oneshot") && !strings.HasPrefix(a, "-") && a != s.flag("out") {
				in = append(in, a)
			}
		}
	}
	if s.Command == "train" {
		teacher, given := s.lookup("teacher")
		if !given {
			teacher = "build/teacher.oneshot"
		}
		if teacher != "" {
			in = append(in, teacher)
		}
	}
	return in
}

// stamp is the digest of the stage's line and of its inputs' contents.
func (s stage) stamp() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s %q\n", s.Name, s.Command, s.Args)
	for _, path := range s.inputs() {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("stage %s (line %d) reads %s: %w (an earlier stage makes it, or make teacher)", s.Name, s.Line, path, err)
		}
		fmt.Fprintf(h, "%s ", path)
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// runRecipe runs the stages of the recipe file that are not done (see the
// comment at the top of this file), keeping stamps in stampDir; exec runs
// one command.
func runRecipe(ctx context.Context, path, stampDir string, exec func(ctx context.Context, s stage) error) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	stages, err := parseRecipe(strings.NewReader(string(data)))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.MkdirAll(stampDir, 0o755); err != nil {
		return err
	}
	for i, s := range stages {
		stamp, err := s.stamp()
		if err != nil {
			return err
		}
		done := filepath.Join(stampDir, s.Name+".done")
		started := filepath.Join(stampDir, s.Name+".started")
		if old, err := os.ReadFile(done); err == nil && string(old) == stamp && exists(s.flag("out")) {
			log.Printf("recipe: stage %d/%d %s is done (%s): skipped", i+1, len(stages), s.Name, s.flag("out"))
			continue
		}
		run := s
		if old, err := os.ReadFile(started); err == nil && string(old) == stamp && s.Command == "train" {
			ckpt := cmp.Or(s.flag("checkpoint"), "build/train.ckpt")
			if exists(ckpt) {
				run.Args = append(slices.Clone(s.Args), "-resume")
				log.Printf("recipe: stage %d/%d %s resumes from its checkpoint %s", i+1, len(stages), s.Name, ckpt)
			}
		}
		log.Printf("recipe: stage %d/%d %s: %s %s", i+1, len(stages), s.Name, s.Command, strings.Join(run.Args, " "))
		if err := os.WriteFile(started, []byte(stamp), 0o644); err != nil {
			return err
		}
		if err := exec(ctx, run); err != nil {
			return fmt.Errorf("stage %s (line %d): %w; run make train again to continue", s.Name, s.Line, err)
		}
		if !exists(s.flag("out")) {
			return fmt.Errorf("stage %s (line %d) ended without writing %s", s.Name, s.Line, s.flag("out"))
		}
		if err := os.WriteFile(done, []byte(stamp), 0o644); err != nil {
			return err
		}
	}
	last := stages[len(stages)-1].flag("out")
	sum := sha256.Sum256(data)
	return nameRecipe(last, fmt.Sprintf("%s sha256:%x", filepath.ToSlash(path), sum))
}

// nameRecipe records the recipe in the model file's metadata, rewriting
// the file only when it names another.
func nameRecipe(model, recipe string) error {
	f, err := os.Open(model)
	if err != nil {
		return err
	}
	m, err := nn.Load(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", model, err)
	}
	if m.Meta["recipe"] == recipe {
		return nil
	}
	m.Meta["recipe"] = recipe
	if _, err := nn.SaveFile(model, m); err != nil {
		return err
	}
	log.Printf("recipe: %s names its recipe, %s", model, recipe)
	return nil
}

// goRun runs a stage as go run ./cmd/COMMAND, train stages with the simd
// experiment unless ONESHOT_SIMD is 0, its output on ours.
func goRun(ctx context.Context, s stage) error {
	cmd := exec.CommandContext(ctx, "go", append([]string{"run", "./cmd/" + s.Command}, s.Args...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	if s.Command == "train" && os.Getenv("ONESHOT_SIMD") != "0" {
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN=go1.27.3", "GOEXPERIMENT=simd")
	}
	return cmd.Run()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
