package firmware

// This file lets firmware's black-box tests (package firmware_test, which may
// import inventory and dhcp) read the table without it being API.

// Archs is every registered option 93 code, in code order.
func Archs() []Arch { return archs() }

// Vendors is the option 60 vendor class table.
func Vendors() []Vendor { return vendors() }

// Configurable reports whether c is a key of boot:.
func (c Class) Configurable() bool { return c.configurable() }
