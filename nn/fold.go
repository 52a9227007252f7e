package nn

import "fmt"

// FoldForInference returns a copy of m for inference only: every batch
// norm or affine (scale) layer that directly follows a convolution in a
// Sequential (also inside a Residual) is folded into the convolution's
// weights and bias (FoldBatchNorm, FoldAffine) and removed, which saves a
// pass over the activations per convolution. The copy's Forward(x, false) equals m's up to rounding;
// m itself is left as it is. Train m, not the copy: its batch statistics
// are gone.
func FoldForInference(m *Model) (*Model, error) {
	if m == nil {
		return nil, fmt.Errorf("nn: FoldForInference: model is nil")
	}
	c, err := m.Clone()
	if err != nil {
		return nil, err
	}
	net, err := foldLayer(c.Net)
	if err != nil {
		return nil, err
	}
	c.Net = net
	return c, nil
}

// foldLayer folds the convolution–batch-norm pairs inside l.
func foldLayer(l Layer) (Layer, error) {
	switch v := l.(type) {
	case *Sequential:
		out := make([]Layer, 0, len(v.Layers))
		for i := 0; i < len(v.Layers); i++ {
			x, err := foldLayer(v.Layers[i])
			if err != nil {
				return nil, err
			}
			if conv, ok := x.(*Conv2D); ok && i+1 < len(v.Layers) {
				switch next := v.Layers[i+1].(type) {
				case *BatchNorm:
					if err := FoldBatchNorm(conv, next); err != nil {
						return nil, err
					}
					i++ // the batch norm is now part of conv
				case *Affine:
					if err := FoldAffine(conv, next); err != nil {
						return nil, err
					}
					i++ // the scale and shift are now part of conv
				}
			}
			out = append(out, x)
		}
		v.Layers = out
		return v, nil
	case *Residual:
		for _, s := range []**Sequential{&v.Body, &v.Shortcut} {
			if *s == nil {
				continue
			}
			x, err := foldLayer(*s)
			if err != nil {
				return nil, err
			}
			*s = x.(*Sequential)
		}
		return v, nil
	}
	return l, nil
}
