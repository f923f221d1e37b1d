// Command bootyard is a network-boot server: DHCP, TFTP and generated per-host
// boot files from one YAML inventory.
package main

func main() {}
