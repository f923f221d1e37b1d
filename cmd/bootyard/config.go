package main

import (
	"github.com/bootyard/bootyard/bootfiles"
	"github.com/bootyard/bootyard/inventory"
)

// loadOptions are the validation options every command uses: names that
// bootfiles generates count as present under the TFTP root.
func loadOptions() inventory.Options {
	return inventory.Options{Generated: bootfiles.Generated}
}

// loadSnapshot loads and validates the configuration file.
func loadSnapshot(path string) (*inventory.Snapshot, error) {
	return inventory.Load(path, loadOptions())
}
