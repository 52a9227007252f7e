// Package liveness asks a face in front of a camera to turn, and tells a
// head that turns from a photograph that is moved, tilted or bent about.
//
// # The cue: the nose leaves the plane of the eyes and the mouth
//
// A photograph is flat. However it is held up to a camera (moved, scaled,
// rotated in the image plane, tilted about any axis), the camera sees a
// homography of it, which a face's width of paper at arm's length makes
// nearly an affine map. An affine map keeps affine coordinates: write the
// nose tip N in the frame of the eyes and the mouth,
//
//	N = E + a·(R − L) + b·(M − E)
//
// with L and R the pupils, E their midpoint and M the midpoint of the
// mouth's corners. For a picture, a and b stay what they were in the
// picture, whatever the hand does with it. A real head is not flat: the
// nose tip stands about half the pupils' distance in front of the eyes
// and the mouth, so when the head turns by an angle θ the tip moves
// sideways by about that depth times sin θ while the eyes and the mouth
// foreshorten by cos θ, and a changes by roughly 0.5·tan θ: 0.13 at 15°,
// 0.29 at 30°. Pose
// measures a (Pose.Yaw) on every frame from pigo's pupil, nose-tip and
// mouth-corner localisers (face.Detector.Eyes and Landmarks).
//
// A head turned to its own left (the camera's view, not a mirror) moves
// its nose to the image's right: a grows. A turn to its right makes a
// smaller.
//
// # The challenge
//
// A Challenge is a random sequence of moves: look at the camera (which
// also fixes the baseline a₀ of this face, and lets the caller check who
// it is), turn to the left and to the right in a random order, look at
// the camera again. Each frame is an Observation: the face, its pupils,
// its landmarks, the time, and, on frames where the face looks at the
// camera, whether it matches the enrolled person. A turn counts when
// a − a₀ passes ±Config.Turn on Config.Hold frames in a row; looking at
// the camera when |a − a₀| stays within Config.Turn/2. Each move has
// Config.MoveTimeout; the face must stay one track (no jump to another
// place or size between frames, no gap longer than Config.MaxGap); and
// the faces that look at the camera must match. The State after every
// frame says what to ask for next, how far along the sequence is, and at
// the end the verdict, with the reasons of a failure.
//
// # What it does not stop
//
// A video of the real person turning, replayed on a screen; a 3-D mask; a
// hostile script or a virtual camera that feeds frames straight into the
// page. It is a deterrent against a photograph, not certified
// presentation attack detection (ISO/IEC 30107).
package liveness
