// Package served holds what every file server of bootyard (TFTP today, HTTP
// next) shares about a file a client asks for: the one name cleaner that
// turns a requested name into a path under the served root, the client that
// asks, and the content a resolver hands back.
//
// It is a leaf: it imports nothing of bootyard's, so the protocol packages,
// bootfiles and the inventory validator may all use it without a cycle. The
// resolver itself (bootfiles) and the interfaces its consumers declare live
// elsewhere; this package only fixes the vocabulary they speak.
package served
