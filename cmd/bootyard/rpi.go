package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/bootyard/bootyard/bootfiles"
	"github.com/bootyard/bootyard/inventory"
)

// printRPiHosts is check's list of Raspberry Pis: every host with an
// rpi_serial, the two folder names its EEPROM may use, and whether its
// config.txt and cmdline.txt are generated (docs/raspberry-pi.md).
func printRPiHosts(w io.Writer, s *inventory.Snapshot) {
	var pis []*inventory.Host
	for _, h := range s.Hosts() {
		if h.RPiSerial != "" {
			pis = append(pis, h)
		}
	}
	if len(pis) == 0 {
		return
	}
	fmt.Fprintf(w, "\nraspberry pi hosts (TFTP folder: the serial, or the MAC with TFTP_PREFIX=2):\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  NAME\tSERIAL\tMAC FOLDER\tPROFILE\tCONFIG.TXT, CMDLINE.TXT\n")
	for _, h := range pis {
		prof, gen := "-", "not generated (no profile with a kernel)"
		if h.Profile != nil {
			prof = h.Profile.Name
			if h.Profile.Kernel != "" {
				gen = "generated unless the folder has its own"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s/\t%s/\t%s\t%s\n", h.Name, h.RPiSerial, strings.ReplaceAll(h.MAC.String(), ":", "-"), prof, gen)
	}
	tw.Flush()
}

// printRPiFolder is explain's view of a Pi's folder: where each file the Pi
// will ask for comes from.
func printRPiFolder(w io.Writer, snap *inventory.Snapshot, h *inventory.Host) {
	folder, files := bootfiles.RPiFolder(snap, h)
	if folder == "" {
		return
	}
	fmt.Fprintf(w, "\nraspberry pi folder %s/ (also %s/ with TFTP_PREFIX=2):\n", folder, strings.ReplaceAll(h.MAC.String(), ":", "-"))
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, f := range files {
		from := string(f.Source)
		switch f.Source {
		case bootfiles.RPiInFolder:
			from = folder + "/" + f.Name + " on disk"
		case bootfiles.RPiAtRoot:
			from = f.Name + " at the TFTP root"
		case bootfiles.RPiGenerated:
			from = "generated from profile " + h.Profile.Name
		}
		fmt.Fprintf(tw, "  %s/%s\t%s\n", folder, f.Name, from)
	}
	tw.Flush()
}
