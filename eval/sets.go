package eval

import (
	"fmt"
	"path/filepath"

	"github.com/oneshotface/oneshot/dataset"
)

// Set is one data set of verification pairs in the cross-domain yardstick.
type Set struct {
	// Name is the short name of tables: "LFW", "FIW", "FIW kin", "ORL".
	Name string
	// File is the pairs file, or the folder the pairs were made from.
	File  string
	Pairs []dataset.Pair
	// Note is the caveat printed beside the figures, if any.
	Note string
}

// Sets returns the yardstick every model is judged on, side by side, from
// the face data folder root (dataset.Root):
//
//   - LFW pairsDevTest.txt: press photographs of LFW's test people (the
//     headline figure, comparable with earlier ones);
//   - FIW pairsVal.txt: family photographs of all ages of the Families in
//     the Wild validation families, none of whom is trained on;
//   - FIW pairsValKin.txt: the same people, every pair of two people two
//     relatives (the hard case of a family sharing one device);
//   - ORL: laboratory pictures (dataset.ORLPairs). ORL's 40 people are
//     also training people, so its figure is optimistic: it shows whether
//     a model still handles greyscale, frontal-to-turned faces at all.
//
// A data set that is missing is an error naming it.
func Sets(root string) ([]Set, error) {
	lfw, fiw := filepath.Join(root, "lfw"), filepath.Join(root, "fiw")
	pairsFile := func(file, images, format string) func() ([]dataset.Pair, error) {
		return func() ([]dataset.Pair, error) { return dataset.ReadPairsFile(file, images, format) }
	}
	sets := []struct {
		Set
		read func() ([]dataset.Pair, error)
	}{
		{Set{Name: "LFW", File: filepath.Join(lfw, "pairsDevTest.txt")}, pairsFile(filepath.Join(lfw, "pairsDevTest.txt"), filepath.Join(lfw, "images"), "lfw")},
		{Set{Name: "FIW", File: filepath.Join(fiw, "pairsVal.txt")}, pairsFile(filepath.Join(fiw, "pairsVal.txt"), filepath.Join(fiw, "images"), "plain")},
		{Set{Name: "FIW kin", File: filepath.Join(fiw, "pairsValKin.txt")}, pairsFile(filepath.Join(fiw, "pairsValKin.txt"), filepath.Join(fiw, "images"), "plain")},
		{Set{Name: "ORL", File: filepath.Join(root, "orl"), Note: "ORL's people are training people: optimistic"},
			func() ([]dataset.Pair, error) { return dataset.ORLPairs(filepath.Join(root, "orl")) }},
	}
	out := make([]Set, len(sets))
	for i, s := range sets {
		pairs, err := s.read()
		if err != nil {
			return nil, fmt.Errorf("eval: the %s set: %w", s.Name, err)
		}
		out[i] = s.Set
		out[i].Pairs = pairs
	}
	return out, nil
}
