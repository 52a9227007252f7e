package train

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"os"

	"github.com/oneshotface/oneshot/nn"
)

// checkpoint is what SaveCheckpoint writes: the model (in the nn file
// format), the optimizer's moments, the global step and the next epoch.
type checkpoint struct {
	Version   int
	NextEpoch int
	Step      int
	Config    Config
	Model     []byte
	Opt       map[string]nn.MomentState
	History   []EpochRecord
}

// EpochRecord is one finished epoch's figures, kept in checkpoints so a
// resumed run can print the whole history.
type EpochRecord struct {
	Epoch        int
	Stats        EpochStats
	ValAccuracy  float64
	ValThreshold float32
}

// SaveCheckpoint writes the trainer's state to path atomically (a
// temporary file renamed over the old one), so a crash while saving never
// loses the previous checkpoint.
func (t *Trainer) SaveCheckpoint(path string, nextEpoch int, history []EpochRecord) error {
	var mb bytes.Buffer
	if err := nn.Save(&mb, t.Model); err != nil {
		return err
	}
	c := checkpoint{Version: 1, NextEpoch: nextEpoch, Step: t.Step, Config: t.Config, Model: mb.Bytes(), Opt: t.Opt.State(), History: history}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// LoadCheckpoint restores a trainer's model, optimizer and step from path
// and returns the epoch to continue with and the history so far. The
// trainer's Config must match the checkpoint's (a resumed run with other
// hyper-parameters is a different run), but for the number of epochs when
// the trainer's NewLength is set.
func (t *Trainer) LoadCheckpoint(path string) (nextEpoch int, history []EpochRecord, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	var c checkpoint
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil {
		return 0, nil, fmt.Errorf("train: checkpoint %s is unreadable: %v", path, err)
	}
	if c.Version != 1 {
		return 0, nil, fmt.Errorf("train: checkpoint %s is version %d, this build reads 1", path, c.Version)
	}
	saved := c.Config
	if t.NewLength {
		saved.Epochs = t.Config.Epochs
	}
	if saved != t.Config {
		return 0, nil, errors.New("train: the checkpoint was made with other hyper-parameters; start afresh or use the same flags")
	}
	if c.NextEpoch > t.Config.Epochs {
		return 0, nil, fmt.Errorf("train: the checkpoint is after epoch %d, beyond the run's %d", c.NextEpoch, t.Config.Epochs)
	}
	m, err := nn.Load(bytes.NewReader(c.Model))
	if err != nil {
		return 0, nil, fmt.Errorf("train: checkpoint model: %w", err)
	}
	// Copy values into the trainer's model so callers' references stay valid.
	for _, p := range t.Model.Params() {
		q := m.Param(p.Name)
		if q == nil || len(q.Value.Float32s()) != len(p.Value.Float32s()) {
			return 0, nil, fmt.Errorf("train: checkpoint does not fit the model (parameter %s)", p.Name)
		}
		copy(p.Value.Float32s(), q.Value.Float32s())
	}
	t.Opt.SetState(c.Opt)
	t.Step = c.Step
	return c.NextEpoch, c.History, nil
}
