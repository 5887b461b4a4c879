package gitrepo

import (
	"bytes"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage"
)

// batch is a repository's storage as Commit sees it: the objects it writes and the index stay
// in memory until flush writes the objects as one packfile, then the index. go-git would write
// each object to a file of its own, most in a new directory, and file creation is what
// committing costs. Reads see what is pending. A reference update flushes first, so that
// nothing on disk ever names an object that is not there.
//
// A batch is not safe for concurrent use.
type batch struct {
	storage.Storer
	objects map[plumbing.Hash]plumbing.EncodedObject
	order   []plumbing.Hash
	index   []byte // encoded, so that every read returns a fresh copy as the files do
	last    *index.Index
}

var _ storage.Storer = (*batch)(nil)

func newBatch(s storage.Storer) *batch {
	return &batch{Storer: s, objects: map[plumbing.Hash]plumbing.EncodedObject{}}
}

func (b *batch) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	if o.Type() == plumbing.OFSDeltaObject || o.Type() == plumbing.REFDeltaObject {
		return plumbing.ZeroHash, plumbing.ErrInvalidType
	}
	h := o.Hash()
	if _, ok := b.objects[h]; !ok {
		b.objects[h] = o
		b.order = append(b.order, h)
	}
	return h, nil
}

func (b *batch) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if o, ok := b.objects[h]; ok {
		if t != plumbing.AnyObject && o.Type() != t {
			return nil, plumbing.ErrObjectNotFound
		}
		return o, nil
	}
	return b.Storer.EncodedObject(t, h)
}

func (b *batch) HasEncodedObject(h plumbing.Hash) error {
	if _, ok := b.objects[h]; ok {
		return nil
	}
	return b.Storer.HasEncodedObject(h)
}

func (b *batch) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if o, ok := b.objects[h]; ok {
		return o.Size(), nil
	}
	return b.Storer.EncodedObjectSize(h)
}

func (b *batch) IterEncodedObjects(t plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	iter, err := b.Storer.IterEncodedObjects(t)
	if err != nil || len(b.order) == 0 {
		return iter, err
	}
	var pending []plumbing.EncodedObject
	for _, h := range b.order {
		if o := b.objects[h]; t == plumbing.AnyObject || o.Type() == t {
			pending = append(pending, o)
		}
	}
	return storer.NewMultiEncodedObjectIter([]storer.EncodedObjectIter{storer.NewEncodedObjectSliceIter(pending), iter}), nil
}

func (b *batch) Index() (*index.Index, error) {
	if b.index == nil {
		return b.Storer.Index()
	}
	idx := &index.Index{}
	return idx, index.NewDecoder(bytes.NewReader(b.index)).Decode(idx)
}

func (b *batch) SetIndex(idx *index.Index) error {
	var buf bytes.Buffer
	if err := index.NewEncoder(&buf).Encode(idx); err != nil {
		return err
	}
	b.index, b.last = buf.Bytes(), idx
	return nil
}

func (b *batch) SetReference(ref *plumbing.Reference) error {
	if err := b.flush(); err != nil {
		return err
	}
	return b.Storer.SetReference(ref)
}

func (b *batch) CheckAndSetReference(ref, old *plumbing.Reference) error {
	if err := b.flush(); err != nil {
		return err
	}
	return b.Storer.CheckAndSetReference(ref, old)
}

// flush writes the pending objects, as one packfile when the storage takes packfiles, then
// the pending index.
func (b *batch) flush() error {
	if len(b.order) > 0 {
		if err := b.writeObjects(); err != nil {
			return err
		}
		b.objects, b.order = map[plumbing.Hash]plumbing.EncodedObject{}, nil
	}
	if b.last != nil {
		if err := b.Storer.SetIndex(b.last); err != nil {
			return err
		}
		b.index, b.last = nil, nil
	}
	return nil
}

func (b *batch) writeObjects() error {
	pw, ok := b.Storer.(storer.PackfileWriter)
	if !ok {
		for _, h := range b.order {
			if _, err := b.Storer.SetEncodedObject(b.objects[h]); err != nil {
				return err
			}
		}
		return nil
	}
	objs := make([]plumbing.EncodedObject, len(b.order))
	for i, h := range b.order {
		objs[i] = b.objects[h]
	}
	pack, err := encodePack(objs)
	if err != nil {
		return err
	}
	return packfile.WritePackfileToObjectStorage(pw, bytes.NewReader(pack))
}
