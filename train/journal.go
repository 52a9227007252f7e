package train

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
)

// A journal keeps the teacher's work on a cache while it is being made, so
// that a run stopped part way (a machine shut down, a process killed)
// loses minutes, not the hour a set of views of 24 k faces takes: each
// embedding is appended to the journal as the teacher finishes it, the
// next run reads them back and the teacher embeds only the rest. The
// journal sits beside the cache it becomes (openJournal) and is removed
// once that cache is written whole.
//
// The file: "OSJOURN1", the cache's key, the number of embeddings the
// cache will hold, a CRC-32 of those; then records of an index, a length n,
// n float32s and a CRC-32 of the record, all little-endian. A record cut
// short or damaged ends the journal there; what comes before it is kept.
// A journal of another key or size is started afresh.
type journal struct {
	f     *os.File
	w     *bufio.Writer
	total int
	have  map[int][]float32 // read back when it was opened
	err   error             // the first write error: the journal stops, the run does not
	shut  bool              // closed
}

const journalMagic = "OSJOURN1"

// openJournal opens the journal of the cache file cacheFile (beside it,
// its name and ".journal") for total embeddings under key, keeping the
// records a journal there already holds for them, and makes it ready to
// append to. With cacheFile "" it returns nil, a journal that holds and
// keeps nothing.
func openJournal(cacheFile, key string, total int) (*journal, error) {
	if cacheFile == "" {
		return nil, nil
	}
	path := cacheFile + ".journal"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	head := journalHeader(key, total)
	j := &journal{total: total, have: map[int][]float32{}}
	keep := int64(0) // bytes of the file worth keeping
	if data, err := os.ReadFile(path); err == nil && len(data) >= len(head) && string(data[:len(head)]) == string(head) {
		keep = int64(len(head)) + j.readRecords(data[len(head):])
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if keep == 0 { // a new journal
		if _, err := f.WriteAt(head, 0); err != nil {
			f.Close()
			return nil, err
		}
		keep = int64(len(head))
	}
	if err := f.Truncate(keep); err != nil { // a cut record, or another journal's rest, goes
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(keep, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	j.f, j.w = f, bufio.NewWriter(f)
	return j, nil
}

// journalHeader is the start of a journal for total embeddings under key.
func journalHeader(key string, total int) []byte {
	b := []byte(journalMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(key)))
	b = append(b, key...)
	b = binary.LittleEndian.AppendUint32(b, uint32(total))
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// readRecords reads the records in p into j.have and returns how many
// bytes of p they fill, up to the first record that is cut short or
// damaged.
func (j *journal) readRecords(p []byte) int64 {
	var used int64
	for len(p) >= 8 {
		k, n := int(binary.LittleEndian.Uint32(p)), int(binary.LittleEndian.Uint32(p[4:]))
		size := 8 + 4*n + 4
		if n == 0 || n > 4096 || k >= j.total || len(p) < size {
			break
		}
		if crc32.ChecksumIEEE(p[:size-4]) != binary.LittleEndian.Uint32(p[size-4:]) {
			break
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[8+4*i:]))
		}
		j.have[k] = v
		p, used = p[size:], used+int64(size)
	}
	return used
}

// Have returns the embedding the journal holds for index k, or nil.
func (j *journal) Have(k int) []float32 {
	if j == nil {
		return nil
	}
	return j.have[k]
}

// Len is how many embeddings the journal held when it was opened.
func (j *journal) Len() int {
	if j == nil {
		return 0
	}
	return len(j.have)
}

// Add appends embedding v of index k and flushes it to the file. A failing
// write stops the journal (the run goes on without it; Close reports it).
func (j *journal) Add(k int, v []float32) {
	if j == nil || j.err != nil || j.shut {
		return
	}
	if k < 0 || k >= j.total {
		j.err = fmt.Errorf("train: journal: index %d outside 0…%d", k, j.total-1)
		return
	}
	rec := binary.LittleEndian.AppendUint32(nil, uint32(k))
	rec = binary.LittleEndian.AppendUint32(rec, uint32(len(v)))
	for _, x := range v {
		rec = binary.LittleEndian.AppendUint32(rec, math.Float32bits(x))
	}
	rec = binary.LittleEndian.AppendUint32(rec, crc32.ChecksumIEEE(rec))
	if _, err := j.w.Write(rec); err != nil {
		j.err = err
		return
	}
	j.err = j.w.Flush()
}

// Close closes the journal's file, keeping it for the next run, and
// returns the first write error, if any.
func (j *journal) Close() error {
	if j == nil || j.shut {
		return nil
	}
	j.shut = true
	err := errors.Join(j.err, j.w.Flush())
	return errors.Join(err, j.f.Close())
}

// Done closes the journal and removes it: its cache is written whole.
func (j *journal) Done() error {
	if j == nil {
		return nil
	}
	j.Close() // its work is in the cache now; a late write error is moot
	return os.Remove(j.f.Name())
}
