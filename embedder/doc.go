// Package embedder turns a face into a 128-d unit vector: it joins the face
// pipeline (an aligned crop of a Template, normalised) to an nn.Model.
//
// A model file says how its input crop must be made, in its metadata:
//
//	"template"  the face.Template as JSON (crop size and pupil positions)
//	"norm"      the face.Normalization as JSON (per-channel mean and scale)
//	"threshold" the calibrated verification threshold on d = ‖f(x₁) − f(x₂)‖²
//	            (on the cohort-normalised d when there is a cohort)
//	"threshold_strict"
//	            a stricter point on the same d: where 1% of the calibration
//	            pairs of two different people were accepted
//	"mirror"    "1": embed each crop with its mirror image (Embedder.Mirror)
//	"cohort"    the model's cohort of training faces (gallery.Cohort), which
//	            normalises comparisons
//
// so the crops a model sees in the browser are the crops it was trained on,
// whichever embedder (the compact one or the 150×150 teacher) is loaded.
//
// The compact architecture the project ships is built by NewCompact; see
// MODEL_CARD.md for how it was trained and how well it verifies.
package embedder
