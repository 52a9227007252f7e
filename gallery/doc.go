// Package gallery holds the people a face verifier knows, and answers the
// two questions asked of them: "is this person who they claim to be?"
// (Verify, 1:1) and "who is this?" (Identify, 1:N).
//
// # Embeddings and templates
//
// An embedder maps an aligned face crop x to an embedding f(x): a unit
// vector (128 values for the shipped models) placed so that two pictures of
// one person lie close together and pictures of two people far apart, as
// measured by the squared distance of the one-shot notes,
//
//	d(x₁, x₂) = ‖f(x₁) − f(x₂)‖².
//
// For unit vectors d = 2 − 2·cos θ, where θ is the angle between them, so d
// runs from 0 (the same direction) to 4 (opposite directions); MaxDistance
// is that 4.
//
// Enrolling a person retrains nothing (that is the "one-shot" idea): the
// gallery keeps the embedding of every accepted frame and, from them, the
// person's template, the single vector new faces are compared with. The
// template is the mean of the frames' unit embeddings, re-normalised to
// unit length:
//
//	t = Σᵢ eᵢ / ‖Σᵢ eᵢ‖,   with every ‖eᵢ‖ = 1.
//
// Why the mean of unit vectors: each frame is a noisy sample of the
// person's direction on the sphere (pose, light and expression move it a
// little); averaging cancels much of that noise, so the template is nearer
// to the person's next picture than a typical single frame is. Averaging
// unit vectors, rather than raw outputs, gives every frame the same weight
// whatever its length; the average lies inside the sphere (the more the
// frames disagree, the shorter it is), so it is scaled back onto the
// sphere, where the model's distances and its calibrated threshold live.
// Person reports how much the frames disagreed as Spread.
//
// # Thresholds
//
// A face matches a template when d ≤ τ. The threshold τ is a property of
// the model: it is chosen when the model is evaluated on held-out pairs and
// stored in the model file (embedder.Embedder.Threshold). The gallery
// keeps it as its default (Config.Threshold, SetThreshold), and every call
// may pass its own instead: a smaller τ accepts fewer impostors and rejects
// more genuine attempts. A threshold of 0 in a call means "the gallery's
// default"; any other must be finite and strictly between 0 and MaxDistance
// (ValidateThreshold).
//
// # Cohort normalisation
//
// With a cohort (Config.Cohort, SetCohort; the model file carries it),
// Verify and Identify compare by a normalised distance instead of the raw
// one: the raw cosine judged against each face's own nearest impostors
// among the cohort (embeddings of the embedder's training people), and
// stated back in the units of a squared distance (Cohort's comment
// derives it). The threshold is then the one calibrated for normalised
// distances; Score and ValidateThreshold are unchanged. Enroll's frame
// distances and Spread stay raw: they compare a person with themselves.
//
// # Score
//
// A squared distance means little to a person, so every answer also
// carries a Score from 0 to 100, a readable restatement of the distance
// (not a probability). It falls linearly from 100 at d = 0 to 50 at the
// threshold, and linearly again from 50 to 0 at d = MaxDistance:
//
//	score = 100 − 50·d/τ          for d ≤ τ
//	score = 50·(4 − d)/(4 − τ)    for d > τ
//
// so 50 is the decision boundary: a score of 50 or more is a match,
// whatever the threshold, and a higher score is always a smaller distance.
//
// # Captures, not images
//
// The gallery never sees a camera frame and does not need the face
// detector. The caller (the engine) runs the face pipeline on each frame
// and hands the gallery a Capture: the aligned crop, its embedding and the
// quality verdict. Enroll refuses frames whose quality has problems, saying
// why frame by frame, and keeps each accepted frame's crop (a small RGBA
// image of the embedder's template) beside its embedding. When the
// embedder changes, after fine-tuning say, Reembed runs the new one over
// every kept crop, so nobody has to enroll again. When the new embedder
// cannot use someone's crops (it reads a wider view of the face than they
// show), it says so with ErrEnrollAgain and that person stays listed, crops
// and all, in the "enroll again" state (Person.EnrollAgain): Verify refuses
// them, Identify passes them by, and a later embedder that can use the
// crops restores them.
//
// # Files
//
// MarshalBinary and WriteTo save a gallery; Read, Unmarshal,
// UnmarshalBinary and Import load one. The format (versions 1 and 2, all
// numbers little-endian) is
//
//	"OSGALLRY"        8 bytes, the magic
//	version           uint16, 1; or 2 when someone must enroll again
//	flags             uint16, 0 (reserved)
//	dim               uint32, values per embedding (0 only when empty)
//	threshold         float32, the default threshold (0: none)
//	model             uint16 length + UTF-8 bytes: the model fingerprint
//	people            uint32 count, then for each person:
//	    id            uint8 length + UTF-8 bytes
//	    enrolled      int64, Unix time in milliseconds
//	    state         version 2 only: uint8, 0, or 1 for "enroll again"
//	                  followed by the reason (uint16 length + UTF-8 bytes);
//	                  such a person's embeddings are written as zeros
//	    frames        uint8 count, then for each frame:
//	        width     uint16
//	        height    uint16
//	        embedding dim × float32, a unit vector
//	        crop      width × height × 4 bytes, RGBA, rows top to bottom
//	crc               uint32, CRC-32 (IEEE) of every byte before it
//
// Templates are not stored: they are recomputed from the embeddings, so
// they can never disagree with them. The model fingerprint (Fingerprint
// makes one from a model file's bytes) lets a gallery made by another model
// be detected: Import then re-embeds its crops with the current model, or
// refuses it. Every count and size is bounded (MaxPeople, MaxFrames,
// MaxDim, MaxCropSide, MaxFileBytes) and checked against the bytes that are
// actually there before anything is allocated, so a hostile file cannot
// make the reader allocate gigabytes. A damaged, truncated or foreign file
// is refused with an error that says which, and a gallery being loaded
// into is left exactly as it was: files are decoded into a fresh value
// that is swapped in only when all is well.
//
// # Concurrency
//
// A Gallery is safe for concurrent use by several goroutines: lookups
// share a read lock, changes take the write lock.
package gallery
