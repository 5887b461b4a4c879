package gitrepo

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// encodePack returns a packfile (version 2, without deltas) holding objs.
//
// go-git's encoder compresses at zlib's default level, and resets its compressor's tables,
// half a megabyte, for every object; for the few small objects of a commit or a snapshot
// that costs more than the rest of the work. This one compresses at zlib.BestSpeed, which
// resets cheaply; the packfiles stay local, so their size matters little.
func encodePack(objs []plumbing.EncodedObject) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("PACK")
	_ = binary.Write(&buf, binary.BigEndian, [2]uint32{2, uint32(len(objs))})
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		writeEntryHeader(&buf, o.Type(), o.Size())
		zw.Reset(&buf)
		if err := copyObject(zw, o); err != nil {
			return nil, fmt.Errorf("pack object %s: %w", o.Hash(), err)
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
	}
	sum := sha1.Sum(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes(), nil
}

// indexPack returns the index (.idx) of pack.
func indexPack(pack []byte) ([]byte, error) {
	w := new(idxfile.Writer)
	parser, err := packfile.NewParser(packfile.NewScanner(bytes.NewReader(pack)), w)
	if err != nil {
		return nil, err
	}
	if _, err := parser.Parse(); err != nil {
		return nil, fmt.Errorf("index packfile: %w", err)
	}
	index, err := w.Index()
	if err != nil {
		return nil, err
	}
	var i bytes.Buffer
	if _, err := idxfile.NewEncoder(&i).Encode(index); err != nil {
		return nil, err
	}
	return i.Bytes(), nil
}

// writeEntryHeader writes an object's type and size as a packfile entry starts: the type in
// bits 4-6 of the first byte, the size in its low 4 bits, then 7 bits a byte.
func writeEntryHeader(w *bytes.Buffer, t plumbing.ObjectType, size int64) {
	b := byte(t)<<4 | byte(size&0x0f)
	for size >>= 4; size > 0; size >>= 7 {
		w.WriteByte(b | 0x80)
		b = byte(size & 0x7f)
	}
	w.WriteByte(b)
}

func copyObject(w io.Writer, o plumbing.EncodedObject) error {
	r, err := o.Reader()
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()
	_, err = io.Copy(w, r)
	return err
}
