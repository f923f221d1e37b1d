# scripts/lab.sh: the private lab `make demo` and bench/boot/run.sh boot
# machines in. Sourced, not run.
#
# lab_up SW SRV makes two network namespaces: SW holds the bridge br0 (the
# lab's one Ethernet segment) and tap0 on it for qemu; SRV has eth0 =
# 198.51.100.2/24 on the bridge. Every link is created inside the namespaces,
# so the machine's own interfaces are never touched. lab_down removes both.

lab_up() {
	local sw=$1 srv=$2
	ip netns add "$sw"
	ip netns add "$srv"
	ip -n "$sw" link set lo up
	ip -n "$srv" link set lo up
	ip -n "$sw" link add br0 type bridge
	ip -n "$sw" link set br0 up
	ip -n "$sw" link add port0 type veth peer name eth0 netns "$srv"
	ip -n "$sw" link set port0 master br0 up
	ip -n "$srv" addr add 198.51.100.2/24 dev eth0
	ip -n "$srv" link set eth0 up
	ip -n "$sw" tuntap add dev tap0 mode tap
	ip -n "$sw" link set tap0 master br0 up
}

lab_down() {
	ip netns del "$1" 2>/dev/null
	ip netns del "$2" 2>/dev/null
	return 0
}
