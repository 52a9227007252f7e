package nn

import (
	"errors"
	"fmt"
)

// Average returns a new model whose every parameter and buffer (batch
// norm's running statistics included) is the mean of the models' own:
// a "model soup" (Wortsman et al., "Model soups: averaging weights of
// multiple fine-tuned models improves accuracy without increasing
// inference time", 2022). It pays only for models that lie in one basin
// of the loss — runs that start from the same weights, such as the
// restarts of one training — where the mean of the weights sits nearer
// the basin's flat middle than any one of them; for models trained from
// different starting points it gives nonsense. The result has the first
// model's network, input and a copy of its Meta; the models are left as
// they are. Models of different networks (another parameter name or
// shape) are refused.
func Average(models ...*Model) (*Model, error) {
	if len(models) == 0 {
		return nil, errors.New("nn: average of no models")
	}
	for k, m := range models {
		if m == nil || m.Net == nil {
			return nil, fmt.Errorf("nn: average: model %d has no network", k)
		}
	}
	out, err := models[0].Clone()
	if err != nil {
		return nil, fmt.Errorf("nn: average: %w", err)
	}
	sum := out.Params()
	for k, m := range models[1:] {
		ps := m.Params()
		if len(ps) != len(sum) {
			return nil, fmt.Errorf("nn: average: model %d has %d parameters, model 0 has %d: not the same network", k+1, len(ps), len(sum))
		}
		for i, p := range ps {
			if p.Name != sum[i].Name || !sameShape(p.Value.Shape(), sum[i].Value.Shape()) {
				return nil, fmt.Errorf("nn: average: model %d has %s %v where model 0 has %s %v: not the same network",
					k+1, p.Name, p.Value.Shape(), sum[i].Name, sum[i].Value.Shape())
			}
			dst := sum[i].Value.Float32s()
			for j, v := range p.Value.Float32s() {
				dst[j] += v
			}
		}
	}
	n := float32(len(models))
	for _, p := range sum {
		vals := p.Value.Float32s()
		for j := range vals {
			vals[j] /= n
		}
	}
	return out, nil
}
