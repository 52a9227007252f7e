package eval

import (
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
	sets := []Set{
		{Name: "LFW", File: filepath.Join(lfw, "pairsDevTest.txt")},
		{Name: "FIW", File: filepath.Join(fiw, "pairsVal.txt")},
		{Name: "FIW kin", File: filepath.Join(fiw, "pairsValKin.txt")},
		{Name: "ORL", File: filepath.Join(root, "orl"), Note: "ORL's people are training people: optimistic"},
	}
	var err error
	if sets[0].Pairs, err = dataset.ReadPairsFile(sets[0].File, filepath.Join(lfw, "images"), "lfw"); err != nil {
		return nil, err
	}
	for i := 1; i <= 2; i++ {
		if sets[i].Pairs, err = dataset.ReadPairsFile(sets[i].File, filepath.Join(fiw, "images"), "plain"); err != nil {
			return nil, err
		}
	}
	if sets[3].Pairs, err = dataset.ORLPairs(sets[3].File); err != nil {
		return nil, err
	}
	return sets, nil
}
