package face

import (
	"fmt"
	"os"
	"testing"
)

func TestSeveral(t *testing.T) {
	if os.Getenv("TUNE") == "" {
		t.Skip()
	}
	d := testDetector(t)
	_, names := tuneLoad("/work/shared/data/lfw/images", 97)
	for _, p := range names {
		a, _ := d.Analyze(decodeFile(t, p))
		if a.Quality.Problems.Has(SeveralFaces) {
			fmt.Println("SEVERAL", p, len(a.Faces))
		}
	}
}
