// Package teacher runs the teacher network of Oneshot's distillation:
// dlib's ResNet face recogniser (dlib_face_recognition_resnet_model_v1, by
// Davis King, public domain) in the TensorFlow.js form that face-api.js
// ships, rebuilt layer for layer on package nn. It maps a 150×150 RGB face
// crop to a 128-d descriptor; two faces are the same person when their
// descriptors are closer than SameThreshold (0.6, Euclidean).
//
// The weights are not in the repository. Fetch them once with npm:
//
//	scripts/fetch-faceapi.sh      # into third_party/ (git-ignored)
//
// then load them, or convert them to Oneshot's model file and load that
// with nn.Load and no npm:
//
//	dir, err := teacher.ModelDir()       // $ONESHOT_FACEAPI or third_party/
//	m, err := teacher.LoadDir(dir)       // *nn.Model, Input {150, 150, 3}
//	x, err := teacher.Preprocess(rgb, w, h) // 0..255 RGB → normalised 150×150×3
//	d, err := teacher.Embed(m, x)        // [][]float32, 128 each
//
//	go run ./cmd/teacher -out build/teacher.oneshot
//
// Preprocess does what face-api does to a tensor input: pad to a square,
// resize bilinearly to 150×150 (only if needed), subtract MeanRGB and
// divide by 255. Give it an aligned face crop; the descriptor is only as
// good as the alignment.
//
// The port is proved against face-api itself: scripts/faceapi-ref runs
// face-api's FaceRecognitionNet in headless Chromium on inputs made by
// package faceapiref and stores its descriptors in
// testdata/teacher_ref.json; TestMatchesFaceAPI checks that this package
// gives the same descriptors to within 1e-5 per component (measured: 3e-7).
package teacher
