package gitrepo

import (
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

type encoder interface {
	Encode(plumbing.EncodedObject) error
}

// store writes o unless the storage already has it (replaying rewrites every tree on the way
// to a change, most of them unchanged).
func store(s storer.EncodedObjectStorer, o encoder) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	if s.HasEncodedObject(obj.Hash()) == nil {
		return obj.Hash(), nil
	}
	return s.SetEncodedObject(obj)
}

func storeTree(s storer.EncodedObjectStorer, t *object.Tree) (plumbing.Hash, error) {
	return store(s, t)
}

func storeCommit(s storer.EncodedObjectStorer, c *object.Commit) (plumbing.Hash, error) {
	return store(s, c)
}

func storeBlob(s storer.EncodedObjectStorer, content []byte) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(content)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		_ = w.Close()
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

func readBlob(s storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	b, err := object.GetBlob(s, h)
	if err != nil {
		return nil, err
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rd.Close() }()
	return io.ReadAll(rd)
}
