// Package dataset reads face data laid out as LFW is: a folder of identity
// sub-folders (images/<Name>/<Name>_0001.jpg), LFW's people and pairs
// lists, and a plain pairs format "path1 path2 label" for any other face set.
//
// It only reads names and paths; decoding images is package face's job.
// Data is read where it is and never copied (see ../shared/data/README.md):
// Root returns the data folder from $ONESHOT_DATA, defaulting to
// ../shared/data beside the repository.
package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Root returns the face data folder: $ONESHOT_DATA when set, else
// ../shared/data relative to the repository root. It returns an error
// (for tests: a reason to skip) when the folder does not exist.
func Root() (string, error) {
	dir := os.Getenv("ONESHOT_DATA")
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			return "", errors.New("dataset: cannot locate the repository; set ONESHOT_DATA")
		}
		dir = filepath.Join(filepath.Dir(file), "..", "..", "shared", "data")
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return "", fmt.Errorf("face data not found at %s (set ONESHOT_DATA to the folder holding lfw/ and orl/)", dir)
	}
	return filepath.Clean(dir), nil
}

// Person is one identity and the paths of its images.
type Person struct {
	Name   string
	Images []string
}

// LFWImage is the path of image n (1-based) of name under an LFW images
// root: root/Name/Name_000n.jpg.
func LFWImage(root, name string, n int) string {
	return filepath.Join(root, name, fmt.Sprintf("%s_%04d.jpg", name, n))
}

// ReadPeople reads an LFW people list (peopleDevTrain.txt, peopleDevTest.txt:
// a count line, then "Name imageCount" lines) and returns each person with
// the paths of their images under root. people.txt's fold headers (a line
// with one number) are skipped.
func ReadPeople(r io.Reader, root string) ([]Person, error) {
	return readPeopleList(r, "people list", "Name count", func(name string, n int) (Person, error) {
		p := Person{Name: name}
		for i := 1; i <= n; i++ {
			p.Images = append(p.Images, LFWImage(root, name, i))
		}
		return p, nil
	})
}

// readPeopleList reads the lines "name imageCount" of a people list (what
// names it in errors, format the line it wants), skipping lines of one
// field (a count, fold headers) and blank ones, and returns person(name,
// count) for each.
func readPeopleList(r io.Reader, what, format string, person func(name string, n int) (Person, error)) ([]Person, error) {
	sc := bufio.NewScanner(r)
	var out []Person
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		switch len(f) {
		case 0, 1:
			continue // the count line, fold headers, blank lines
		case 2:
			n, err := strconv.Atoi(f[1])
			if err != nil || n <= 0 || n > 100000 {
				return nil, fmt.Errorf("dataset: %s line %d: %q is not an image count", what, line, f[1])
			}
			p, err := person(f[0], n)
			if err != nil {
				return nil, fmt.Errorf("dataset: %s line %d: %w", what, line, err)
			}
			out = append(out, p)
		default:
			return nil, fmt.Errorf("dataset: %s line %d: want %q, got %q", what, line, format, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dataset: %s is empty", what)
	}
	return out, nil
}

// ReadPeopleFile is ReadPeople on a file.
func ReadPeopleFile(path, root string) ([]Person, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadPeople(f, root)
}

// imageExts are the file types ReadFolders takes.
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".pgm": false}

// ReadFolders lists a folder of identity sub-folders: each sub-folder is a
// person, each JPEG or PNG in it one of their images. Sorted by name, so the
// order (and with it a seeded training run) does not depend on the file
// system.
func ReadFolders(root string) ([]Person, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []Person
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		p := Person{Name: e.Name()}
		for _, f := range files {
			if !f.IsDir() && imageExts[strings.ToLower(filepath.Ext(f.Name()))] {
				p.Images = append(p.Images, filepath.Join(root, e.Name(), f.Name()))
			}
		}
		if len(p.Images) > 0 {
			sort.Strings(p.Images)
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) == 0 {
		return nil, fmt.Errorf("dataset: %s has no identity sub-folders with images", root)
	}
	return out, nil
}

// Pair is one verification trial: two images and whether they show the
// same person. Fold is the pair's fold in a k-fold protocol.
type Pair struct {
	A, B string
	Same bool
	Fold int
}

// ReadLFWPairs reads an LFW pairs file (pairsDevTrain.txt, pairsDevTest.txt,
// pairs.txt) with image paths under root. The first line is "n" (View 1)
// or "folds n" (View 2); matched pairs are "Name n1 n2", mismatched
// "Name1 n1 Name2 n2". For View 2 each block of 2n pairs is a fold; for
// View 1 the pairs are split into 10 folds of n/10 matched + n/10
// mismatched pairs in file order, the standard procedure (pairs i of the
// matched half and i of the mismatched half share fold i·10/n).
func ReadLFWPairs(r io.Reader, root string) ([]Pair, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		return nil, errors.New("dataset: pairs file is empty")
	}
	head := strings.Fields(sc.Text())
	folds, n := 1, 0
	var err error
	switch len(head) {
	case 1:
		n, err = strconv.Atoi(head[0])
	case 2:
		folds, err = strconv.Atoi(head[0])
		if err == nil {
			n, err = strconv.Atoi(head[1])
		}
	default:
		err = errors.New("bad header")
	}
	if err != nil || n <= 0 || folds <= 0 || folds*n > 1000000 {
		return nil, fmt.Errorf("dataset: pairs file header %q is not \"n\" or \"folds n\"", sc.Text())
	}
	var out []Pair
	line := 1
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var p Pair
		num := func(s string) (int, error) {
			v, err := strconv.Atoi(s)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("dataset: pairs line %d: %q is not an image number", line, s)
			}
			return v, nil
		}
		switch len(f) {
		case 3:
			a, err := num(f[1])
			if err != nil {
				return nil, err
			}
			b, err := num(f[2])
			if err != nil {
				return nil, err
			}
			p = Pair{A: LFWImage(root, f[0], a), B: LFWImage(root, f[0], b), Same: true}
		case 4:
			a, err := num(f[1])
			if err != nil {
				return nil, err
			}
			b, err := num(f[3])
			if err != nil {
				return nil, err
			}
			p = Pair{A: LFWImage(root, f[0], a), B: LFWImage(root, f[2], b)}
		default:
			return nil, fmt.Errorf("dataset: pairs line %d: want 3 or 4 fields, got %q", line, sc.Text())
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) != 2*n*folds {
		return nil, fmt.Errorf("dataset: pairs file promises %d×2×%d pairs, has %d", folds, n, len(out))
	}
	if folds > 1 {
		for i := range out {
			out[i].Fold = i / (2 * n)
		}
		return out, nil
	}
	// View 1: n matched then n mismatched; 10 folds in file order.
	k := 10
	if n < k {
		k = n
	}
	for i := range out {
		j := i % n
		out[i].Fold = j * k / n
	}
	return out, nil
}

// ReadPlainPairs reads "path1 path2 label" lines (label 1 = same person,
// 0 = different; paths relative to root; '#' starts a comment). The pairs
// are split into 10 folds of equal size in file order.
func ReadPlainPairs(r io.Reader, root string) ([]Pair, error) {
	sc := bufio.NewScanner(r)
	var out []Pair
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		f := strings.Fields(s)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 || (f[2] != "0" && f[2] != "1") {
			return nil, fmt.Errorf("dataset: pairs line %d: want \"path1 path2 0|1\", got %q", line, sc.Text())
		}
		out = append(out, Pair{A: filepath.Join(root, f[0]), B: filepath.Join(root, f[1]), Same: f[2] == "1"})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("dataset: pairs file has no pairs")
	}
	k := 10
	if len(out) < k {
		k = len(out)
	}
	for i := range out {
		out[i].Fold = i * k / len(out)
	}
	return out, nil
}

// ReadPairsFile reads a pairs file in format "lfw" or "plain".
func ReadPairsFile(path, root, format string) ([]Pair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch format {
	case "lfw":
		return ReadLFWPairs(f, root)
	case "plain":
		return ReadPlainPairs(f, root)
	}
	return nil, fmt.Errorf("dataset: unknown pairs format %q (want lfw or plain)", format)
}

// ReadFIWPeople reads a Families in the Wild people list (peopleTrain.txt,
// peopleVal.txt: a count line, then "F####/MID#<TAB>imageCount" lines) and
// returns each individual with the paths of their face crops under root
// (root/F####/MID#/*.jpg, sorted). A person is named "F####/MID#", so the
// family is the name's first element (FIWFamily). The count on each line
// must match the folder: a list that does not describe the images is an
// error, not a silent change of the data.
func ReadFIWPeople(r io.Reader, root string) ([]Person, error) {
	return readPeopleList(r, "FIW people list", "F####/MID#<tab>count", func(name string, n int) (Person, error) {
		if fam, mid, ok := strings.Cut(name, "/"); !ok || !strings.HasPrefix(fam, "F") || !strings.HasPrefix(mid, "MID") {
			return Person{}, fmt.Errorf("want \"F####/MID#\", got %q", name)
		}
		dir := filepath.Join(root, filepath.FromSlash(name))
		files, err := os.ReadDir(dir)
		if err != nil {
			return Person{}, err
		}
		p := Person{Name: name}
		for _, e := range files {
			if !e.IsDir() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
				p.Images = append(p.Images, filepath.Join(dir, e.Name()))
			}
		}
		if len(p.Images) != n {
			return Person{}, fmt.Errorf("%s lists %d images, the folder holds %d", name, n, len(p.Images))
		}
		sort.Strings(p.Images)
		return p, nil
	})
}

// ReadFIWPeopleFile is ReadFIWPeople on a file.
func ReadFIWPeopleFile(path, root string) ([]Person, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadFIWPeople(f, root)
}

// FIWFamily is the family of a FIW person's name ("F0001/MID2" → "F0001",
// also under a prefix such as "fiw/F0001/MID2"), or "" for a name that is
// not a FIW individual.
func FIWFamily(name string) string {
	name = strings.TrimPrefix(name, "fiw/")
	fam, mid, ok := strings.Cut(name, "/")
	if !ok || !strings.HasPrefix(fam, "F") || !strings.HasPrefix(mid, "MID") {
		return ""
	}
	return fam
}

// ORLPairs makes the ORL verification pairs: the 40 people in 10 folds of
// four (s1–s4 fold 0, s5–s8 fold 1, …), so no fold shares a person with
// another, each fold holding all 180 pairs of two images of one person
// (4 × 45) and 180 pairs of two people (30 for each of its six pairs of
// people: image k of the first with image (k + j) mod 10 of the second, for
// k = 0…9 and j = 0, 3, 6). The pairs are made the same way every time; root is
// the folder holding s1 … s40, each with 1.png … 10.png.
func ORLPairs(root string) ([]Pair, error) {
	const people, perPerson, perFold = 40, 10, 4
	img := func(person, k int) string {
		return filepath.Join(root, fmt.Sprintf("s%d", person+1), fmt.Sprintf("%d.png", k+1))
	}
	if _, err := os.Stat(img(people-1, perPerson-1)); err != nil {
		return nil, fmt.Errorf("dataset: ORL: %w (want s1 … s40 with 1.png … 10.png)", err)
	}
	var out []Pair
	for fold := 0; fold < people/perFold; fold++ {
		first := fold * perFold
		for p := first; p < first+perFold; p++ {
			for i := 0; i < perPerson; i++ {
				for j := i + 1; j < perPerson; j++ {
					out = append(out, Pair{A: img(p, i), B: img(p, j), Same: true, Fold: fold})
				}
			}
		}
		for p := first; p < first+perFold; p++ {
			for q := p + 1; q < first+perFold; q++ {
				for _, shift := range []int{0, 3, 6} {
					for k := 0; k < perPerson; k++ {
						out = append(out, Pair{A: img(p, k), B: img(q, (k+shift)%perPerson), Fold: fold})
					}
				}
			}
		}
	}
	return out, nil
}

// FIWPairs draws verification pairs from FIW people (ReadFIWPeople): n
// pairs of two pictures of one person, then n pairs of two people of
// different families, or, with kin, of the same family (relatives: the
// hard case), in 10 folds of equal shares in order, like pairsVal.txt.
// The draw is fixed by seed. It is for calibrating thresholds on training
// people; the validation families have their own pairs files.
func FIWPairs(people []Person, n int, kin bool, seed uint64) ([]Pair, error) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	var several []int
	families := map[string][]int{}
	for i, p := range people {
		if len(p.Images) >= 2 {
			several = append(several, i)
		}
		fam := FIWFamily(p.Name)
		if fam == "" {
			return nil, fmt.Errorf("dataset: FIWPairs: %q is not a FIW individual (F####/MID#)", p.Name)
		}
		families[fam] = append(families[fam], i)
	}
	var withKin []int // people with a relative in the list
	for _, members := range families {
		if len(members) >= 2 {
			withKin = append(withKin, members...)
		}
	}
	slices.Sort(withKin)
	switch {
	case n <= 0:
		return nil, fmt.Errorf("dataset: FIWPairs: %d pairs of each kind: want at least 1", n)
	case len(several) == 0:
		return nil, errors.New("dataset: FIWPairs: nobody has two pictures")
	case len(families) < 2 || kin && len(withKin) == 0:
		return nil, errors.New("dataset: FIWPairs: too few families for pairs of two people")
	}
	pick := func(p Person) string { return p.Images[r.IntN(len(p.Images))] }
	seen := map[[2]string]bool{}
	var same, diff []Pair
	for tries := 0; len(same) < n && tries < 100*n; tries++ {
		p := people[several[r.IntN(len(several))]]
		i := r.IntN(len(p.Images))
		j := (i + 1 + r.IntN(len(p.Images)-1)) % len(p.Images)
		k := [2]string{p.Images[min(i, j)], p.Images[max(i, j)]}
		if !seen[k] {
			seen[k] = true
			same = append(same, Pair{A: k[0], B: k[1], Same: true})
		}
	}
	for tries := 0; len(diff) < n && tries < 100*n; tries++ {
		var a, b int
		if kin {
			a = withKin[r.IntN(len(withKin))]
			members := families[FIWFamily(people[a].Name)]
			b = members[r.IntN(len(members))]
		} else {
			a, b = r.IntN(len(people)), r.IntN(len(people))
			if FIWFamily(people[a].Name) == FIWFamily(people[b].Name) {
				continue
			}
		}
		if a == b {
			continue
		}
		k := [2]string{pick(people[a]), pick(people[b])}
		if !seen[k] {
			seen[k] = true
			diff = append(diff, Pair{A: k[0], B: k[1]})
		}
	}
	if len(same) < n || len(diff) < n {
		return nil, fmt.Errorf("dataset: FIWPairs: only %d and %d distinct pairs for %d of each kind", len(same), len(diff), n)
	}
	out := append(same, diff...)
	for i := range same {
		out[i].Fold = i * 10 / n
		out[n+i].Fold = i * 10 / n
	}
	return out, nil
}
