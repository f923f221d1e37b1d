package firmware

import "testing"

// TestTableNamesOnlyConfigurableClasses: a class in the arch or vendor table
// that boot: does not accept (a typo) would silently mean "no boot file".
func TestTableNamesOnlyConfigurableClasses(t *testing.T) {
	for _, a := range archs() {
		if a.Class != "" && !a.Class.configurable() {
			t.Errorf("arch %d (%s) maps to class %q, which boot: does not accept", a.Code, a.Name, a.Class)
		}
		if a.HTTP && a.Class != UEFIHTTP {
			t.Errorf("arch %d (%s) boots over HTTP but is class %q, want %q", a.Code, a.Name, a.Class, UEFIHTTP)
		}
	}
	for _, v := range vendors() {
		if !v.Class.configurable() {
			t.Errorf("vendor class %q maps to class %q, which boot: does not accept", v.ID, v.Class)
		}
	}
}

// TestArchTableKeys: each entry sits under its own code and LookupArch finds
// it (a copied line with a stale code would shadow another firmware).
func TestArchTableKeys(t *testing.T) {
	for code, a := range archTable {
		if a.Code != code {
			t.Errorf("archTable[%d] says code %d", code, a.Code)
		}
	}
	if a, ok := LookupArch(7); !ok || a.Class != UEFIX64 {
		t.Errorf("LookupArch(7) = %+v, %v", a, ok)
	}
	if _, ok := LookupArch(999); ok || ArchName(999) != "unregistered" {
		t.Error("code 999 is not registered")
	}
}

func TestLookupVendor(t *testing.T) {
	for in, want := range map[string]Class{
		"U-Boot.armv8": UBootARM64, "U-Boot.arm": UBootARM, "AM335x ROM": UBootARM,
		"HTTPClient:Arch:00016:UNDI:003001": UEFIHTTP, "U-Boot": "", "U-Boot.armv8x": "", "PXEClient:Arch:00000": "",
	} {
		v, ok := LookupVendor(in)
		if v.Class != want || ok != (want != "") {
			t.Errorf("LookupVendor(%q) = %q, %v; want %q", in, v.Class, ok, want)
		}
	}
}

func TestClassesAreConfigurableAndDistinct(t *testing.T) {
	seen := map[Class]bool{}
	for _, c := range Classes() {
		if seen[c] || !c.configurable() || !c.Boot() {
			t.Errorf("class %q listed twice or not configurable", c)
		}
		seen[c] = true
	}
	if None.configurable() || Other.configurable() || None.Boot() || !Other.Boot() {
		t.Error("none and other are not keys of boot:; only none is not booting")
	}
}
