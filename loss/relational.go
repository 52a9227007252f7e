package loss

import "fmt"

// RelationalDistance is relational knowledge distillation on distances
// (Park et al., "Relational Knowledge Distillation", CVPR 2019, in the
// squared-distance form of the one-shot notes): for a batch of student
// embeddings f and the teacher's embeddings t of the same faces,
//
//	L = mean over pairs i < j of (‖fᵢ − fⱼ‖² − ‖tᵢ − tⱼ‖²)²
//
// It asks the student for the teacher's distances, not its positions, so
// a small student spends its capacity on what verification compares. It
// returns L and dL/df (zero for a batch of fewer than two).
func RelationalDistance(student, teacher [][]float32) (loss float32, grad [][]float32, err error) {
	dim, err := checkBatch(student)
	if err != nil {
		return 0, nil, err
	}
	if len(teacher) != len(student) {
		return 0, nil, fmt.Errorf("loss: %d teacher embeddings for %d student embeddings", len(teacher), len(student))
	}
	if _, err := checkBatch(teacher); err != nil {
		return 0, nil, err
	}
	n := len(student)
	grad = make([][]float32, n)
	for i := range grad {
		grad[i] = make([]float32, dim)
	}
	if n < 2 {
		return 0, grad, nil
	}
	tdim := len(teacher[0])
	pairs := float32(n * (n - 1) / 2)
	var sum float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var ds, dt float32
			for k, v := range student[i] {
				d := v - student[j][k]
				ds += d * d
			}
			for k := 0; k < tdim; k++ {
				d := teacher[i][k] - teacher[j][k]
				dt += d * d
			}
			r := ds - dt
			sum += float64(r * r)
			// d(r²)/dfᵢ = 2r · 2(fᵢ − fⱼ); the opposite for fⱼ.
			c := 4 * r / pairs
			gi, gj := grad[i], grad[j]
			for k, v := range student[i] {
				g := c * (v - student[j][k])
				gi[k] += g
				gj[k] -= g
			}
		}
	}
	return float32(sum / float64(pairs)), grad, nil
}
