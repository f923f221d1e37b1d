//go:build !linux

package inventory

import "errors"

// watchFolder has no inotify outside Linux; Watcher then polls.
func watchFolder(dir, name string, changed chan<- struct{}) (stop func(), err error) {
	return nil, errors.New("inotify is Linux-only")
}
