package gallery_test

import (
	"fmt"
	"image"

	"github.com/oneshotface/oneshot/face"
	"github.com/oneshotface/oneshot/gallery"
)

// The engine runs the face pipeline on each frame and hands the gallery
// the aligned crop, its embedding and the quality verdict. Here the
// embeddings are made up: 3-value unit vectors with known distances.
func Example() {
	g, err := gallery.New(gallery.Config{Threshold: 1, Model: "example-model"})
	if err != nil {
		panic(err)
	}
	crop := image.NewRGBA(image.Rect(0, 0, 64, 64))
	res, err := g.Enroll("ada", []gallery.Capture{
		{Crop: crop, Embedding: []float32{1, 0, 0}},
		{Crop: crop, Embedding: []float32{0.8, 0.6, 0}},
		{Crop: crop, Embedding: []float32{0, 1, 0}, Quality: face.Quality{Faces: 1, Problems: face.TooDark}},
	})
	if err != nil {
		panic(err)
	}
	for i, f := range res.Frames {
		fmt.Printf("frame %d: accepted %v %q\n", i+1, f.Accepted, f.Reasons)
	}

	v, _ := g.Verify("ada", []float32{0.9, 0.3, 0.3}, 0)
	fmt.Printf("ada? match %v, distance %.2f, score %.0f\n", v.Match, v.Distance, v.Score)
	v, _ = g.Verify("ada", []float32{0, 0, 1}, 0)
	fmt.Printf("ada? match %v, distance %.2f, score %.0f\n", v.Match, v.Distance, v.Score)

	_, err = g.Verify("bob", []float32{0, 0, 1}, 0)
	fmt.Println(err)
	_, err = g.Verify("ada", make([]float32, 128), 0)
	fmt.Println(err)
	// Output:
	// frame 1: accepted true []
	// frame 2: accepted true []
	// frame 3: accepted false ["too dark"]
	// ada? match true, distance 0.09, score 95
	// ada? match false, distance 2.00, score 33
	// no person enrolled as "bob"
	// embedding has 128 values, the gallery holds 3-value embeddings — was it made by another model?
}
