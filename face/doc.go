// Package face turns a picture of a person into the aligned face crop an
// embedder reads. The same code runs natively, on training images, and
// compiled to WebAssembly, on webcam frames, so the crops a model is
// trained on are the crops it sees in the browser.
//
// # The pipeline
//
//	pixels ──Decode / FromRGBA──> image.Image
//	       ──Detector.Detect───> []Face        squares around faces, best first
//	       ──Detector.Eyes─────> Eyes          the two pupils
//	       ──Detector.AlignEyes> Eyes          for a five-point Template, where the
//	                                           nose tip and mouth corners move them
//	       ──Align─────────────> *image.RGBA   a fixed-size crop, pupils on a Template
//	       ──Tensor────────────> []float32     HWC, normalised, for the embedder
//
// Detector.Analyze runs Detect and Eyes and judges the frame (Quality:
// face size, sharpness, brightness, contrast, roll, detection score, how
// many people), with reasons a person understands: "no face",
// "two faces", "too dark", "too blurry: hold still".
//
// # Detection
//
// Faces are found with pigo (github.com/esimov/pigo), a pure-Go port of
// the pico detector: a cascade of small binary trees, each comparing the
// brightness of two pixels, is evaluated on square windows slid over the
// greyscale image at a range of sizes. Windows that pass every stage are
// raw detections; overlapping ones are merged (intersection over union)
// into faces, whose Score is the merged cascade output. The cascade only
// looks at windows that lie inside the image, so a face that fills the
// frame would never be seen: Detect therefore surrounds the image with a
// flat grey border (Params.Pad) and maps the answers back. The windows
// are a grid, 10% of their size apart and 10% apart in size; a face the
// cascade would accept between two of them can be missed, so for photographs
// (DefaultParams) an image with no face is scanned once more on a grid
// twice as fine (Params.RetryFine). Camera frames are not (NewFrameDetector).
//
// # Eyes
//
// pigo's pupil localiser is a cascade of regression trees: from a start
// guess (a fixed place in the face square) each stage moves the estimate
// towards the pupil and shrinks its window. Eyes runs it from a fixed set
// of perturbed starts and takes the median, so answers are robust and the
// same image always gives the same pupils. The two pupils must pass a
// sanity check (distance relative to the face, roll, position, agreement
// of the perturbed runs); when they fail, Eyes falls back to positions
// estimated from the box and says so (Eyes.Found is false).
//
// # Alignment
//
// Align finds the similarity transform (rotation, uniform scale, shift)
// putting the pupils on a Template's two points and resamples the face
// with bilinear interpolation from golang.org/x/image/draw. Templates are
// data: TemplateDlib150 is the 150×150 chip with 25% padding of dlib's
// face recogniser (the teacher), TemplateCompact64 the tight crop of the
// compact embedder, DlibTemplate makes others.
//
// The pupils alone misplace a face: a localiser's error of a few pixels,
// or a head turned so that the pupils come closer, moves and scales the
// whole crop. A five-point template (Template.FivePoint) places the face
// by the least-squares similarity from a mean face's pupils, nose tip and
// mouth corners to the ones found (pigo's landmark cascades,
// Detector.Landmarks), and aligns by the pupils' places under that fit
// (FivePointEyes, Detector.AlignEyes; FivePointEyesIn for a crop cut
// around known pupils). Training augmentations
// (Jitter) fold their rotation, scale, shift and mirror into the same
// transform, then change brightness, contrast, gamma and sharpness of the
// crop, deterministically given a seed (JitterRange.Sample).
//
// # Cascades
//
// The cascade files ship inside the pigo module (cascade/facefinder,
// cascade/puploc, and the nose and mouth cascades cascade/lps/lp93 and
// lp84) and are not copied into this repository. Code takes them as bytes:
// ParseCascades (or NewDetector) and ParseLandmarkCascades parse them; the
// browser build fetches them by URL. Native programs call
// LoadCascadesFromModule (all four),
// which finds them in the Go module cache at the pigo version the binary
// was built with (or through `go list -m`), or in $ONESHOT_CASCADES;
// `go run ./cmd/align -cascades` prints that folder for build scripts.
//
// # Concurrency and memory
//
// Cascades are parsed once and shared by any number of goroutines. A
// Detector owns the buffers it reuses from frame to frame and is not safe
// for concurrent use: make one per goroutine with Cascades.NewDetector,
// which is cheap. Align and Tensor write into caller-provided buffers.
//
// # Bad input
//
// Sizes that are not positive, larger than MaxSide, byte counts that are
// not width×height×4, bytes that are not a JPEG or PNG, cascades that are
// not pigo's: every one is an error value with a message saying what was
// wrong, never a panic.
package face
