// Package pad measures the liveness challenge the way ISO/IEC 30107-3
// measures presentation attack detection: attacks made from photographs
// are played to the engine frame by frame, and the share the challenge
// calls live is the attack presentation classification error rate
// (APCER), one per kind of attack; genuine sequences of real heads
// turning are played the same way, and the share it refuses is the bona
// fide presentation classification error rate (BPCER).
//
// # Attacks (Scene, Attack)
//
// A photograph is a flat page. Scene renders it into a 640×480 camera
// frame through the homography of a page held in front of a pinhole
// camera: moved and scaled, rotated in the image plane, tilted about a
// vertical or a horizontal axis, over a textured background, with a
// little sensor noise per frame. An Attack answers every prompt of the
// challenge the way its kind allows: a still photo stays put; a moved
// photo slides towards the side the nose of a real head would go,
// rotates and scales; a tilted photo swings about its axis from one side
// to the other while a turn is asked for. The attacker hears the
// prompts: nothing is hidden from it but the 3-D shape it lacks.
//
// # Genuine sequences (Genuine)
//
// The ORL faces hold ten photographs of each of 40 people who were asked
// to move their heads a little. Genuine orders one person's photographs
// by the challenge's own yaw measure (the nose across the frame of the
// eyes and the mouth): the most frontal one answers "look at the
// camera", and a turn is played as the photographs on that side in order,
// one after another, like a head turning. That proxy can show whether
// real turns of the size ORL holds get through the landmarks, the track
// and the thresholds; it cannot show how people at a webcam move, how
// fast, under which light, and since the order comes from the measure
// itself it does not test whether the measure ranks turns correctly.
package pad
