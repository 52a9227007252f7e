// Package engine is everything the Oneshot WebAssembly module does, as
// plain Go that native tests can drive: one Engine holds a face detector,
// an embedder and a gallery of enrolled people, and answers the calls of the
// JavaScript API (detect, embed, enroll, verify, identify, remove, export
// and import of the gallery and of the model).
//
// # Frames in, plain values out
//
// Every call that looks at a picture takes a Frame: RGBA bytes, four a pixel,
// rows top to bottom with no padding, which is exactly a browser's
// ImageData.data. A frame is checked before anything else is done with it
// (0×0, more than MaxSide pixels a side, a byte count that is not
// width×height×4 are errors that say so).
//
// Every answer is a plain struct with camelCase JSON tags (Detection,
// EnrollResult, Verification, Identification, …): the wasm module marshals
// it to JSON and the page receives the same object. Nothing in an answer
// points into the engine's buffers.
//
// # The pipeline of one frame
//
//	Frame ──face.Detector.Analyze──> faces, pupils, quality
//	      ──face.Detector.AlignEyes─> for a five-point model, eyes moved by
//	                                  the nose tip and mouth corners
//	      ──face.Align──────────────> crop of the model's template
//	      ──embedder.EmbedCrop──────> unit embedding
//	      ──gallery.Verify/Identify─> distance, threshold, verdict, score
//
// Every answer about a frame (Detection, Embedding, EnrollResult,
// Verification, Identification) carries Timings: how long each stage took
// inside the engine, in milliseconds (the face scan, pupils, quality,
// alignment, the network's forward pass, and the whole call), so a caller
// in the browser can tell the module's compute from the cost of reaching
// it.
//
// Enroll refuses frames whose quality has problems ("too dark", "more than
// one face") and says why, frame by frame. Verify and Identify give no
// verdict on such a frame (Judged false, with the quality's reasons) unless
// the call asks for one anyway (Options.AnyQuality). Embed answers on any
// frame with a face and reports its quality.
//
// # Budgets
//
// A call may pass at most MaxCallBytes of pixels (every frame counted, one
// buffer passed many times included), and the calls in progress together
// at most MaxPendingBytes: a call over either is refused at once with an
// error wrapping ErrOverBudget, and the engine goes on answering. A model
// is judged by its file's header before it is built or run: at most
// MaxModelParams parameters, MaxModelMACs multiply-adds and MaxModelValues
// activation values per crop, crops of at most MaxCropSide a side, and
// thresholds within MinModelThreshold…MaxModelThreshold unless the import
// trusts the file's (ModelOptions); otherwise ErrModelLimits.
//
// # Models and thresholds
//
// The engine runs one model at a time. Its verification threshold is the
// one calibrated when the model was evaluated (the model file's "threshold"
// metadata); a model without one (an untrained model) gets
// UncalibratedThreshold, and Info says so, as it says whether the threshold
// came from the model the engine was made with or from an imported file
// (ModelInfo.ThresholdSource). Every Verify and Identify may pass its own
// threshold instead.
//
// A model file may also ask for test-time mirroring (each face embedded
// with its mirror image) and carry a cohort of training faces that
// normalises every Verify and Identify distance (gallery.Cohort); its
// threshold is then calibrated for the normalised distance. The shipped
// model does both. Info reports them (ModelInfo.Mirror, CohortFaces). A
// fine-tuned model keeps the cohort, as it keeps the threshold.
//
// ImportModel swaps the model: the new file is loaded and tried on a blank
// crop first, and every enrolled person's kept crops are re-embedded with
// it, all or nothing. The crops are kept in one geometry whatever the model,
// KeptTemplate (dlib's 150-pixel chip, the widest view and finest scale of
// the shipped models), and cut again to the template of the model that
// embeds them, so the page can switch between its compact and its accurate
// model, in either direction, and keep everyone enrolled. A file that is not a model, a model that is not a face
// embedder, or a re-embedding that fails leaves the engine exactly as it
// was. ImportGallery likewise decodes into a fresh gallery that replaces
// the current one only when all is well; a gallery made by another model is
// re-embedded from its crops.
//
// # Concurrency
//
// An Engine is safe for concurrent use: every call takes one mutex, so calls
// run one after another (the detector and the embedder reuse buffers from
// frame to frame). FineTune is the exception: it holds the mutex only to
// copy the model and the enrolled crops and to swap the new model in; it
// aligns its pictures with a detector of its own and trains a copy while
// other calls run, and calls FineTuneRequest.Yield between pictures and
// steps for callers on one thread.
package engine
