# summary.awk: the ratios of one run.sh run, from its results file (one line
# per measurement: PLACEMENT PHASE CONFIG SERVER MB/s CPU-s/GiB [FAILED
# PEAK-RSS-kB]). For every placement, phase and configuration: the best C
# server by speed, bootyard's speed and CPU per GiB as ratios to it, and in
# the lock-step phase both as a fraction of the C ping-pong ceiling.
# c_servers (-v) names the C servers.
BEGIN { n = split(c_servers, cs, " "); for (i = 1; i <= n; i++) isc[cs[i]] = 1 }
{
	key = $1 " " $2 " " $3
	if (!(key in seen)) { seen[key] = 1; order[++keys] = key }
	mbs[key, $4] = $5; gib[key, $4] = $6
	if (NF >= 8) { failed[key, $4] = $7; rss[key, $4] = $8 }
	if (isc[$4] && $5 != "FAIL") {
		if (!(key in best) || $5 + 0 > mbs[key, best[key]] + 0) best[key] = $4
		if (!(key in thrifty) || $6 + 0 < gib[key, thrifty[key]] + 0) thrifty[key] = $4
	}
}
function ratio(a, b) { return (a == "" || b == "" || a == "FAIL" || b == "FAIL" || b + 0 == 0) ? "-" : sprintf("%.2fx", a / b) }
END {
	print "# summary: bootyard as a ratio of the best C server (by MB/s) of the same run and placement"
	for (k = 1; k <= keys; k++) {
		key = order[k]; b = ""
		line = sprintf("summary %-22s", key)
		if (key in best) {
			b = best[key]
			line = line sprintf(" best C %s %s MB/s %s s/GiB;", b, mbs[key, b], gib[key, b])
		}
		if ((key, "bootyard") in mbs) {
			line = line sprintf(" bootyard %s MB/s = %s, CPU %s s/GiB = %s", mbs[key, "bootyard"],
				ratio(mbs[key, "bootyard"], mbs[key, b]), gib[key, "bootyard"], ratio(gib[key, "bootyard"], gib[key, b]))
			if (key in thrifty && thrifty[key] != b)
				line = line sprintf(" (thriftiest C %s %s s/GiB)", thrifty[key], gib[key, thrifty[key]])
			if (key ~ / window / && (key, "atftpd") in mbs)
				line = line sprintf("; of atftpd %s", ratio(mbs[key, "bootyard"], mbs[key, "atftpd"]))
			if ((key, "bootyard") in failed)
				line = line sprintf("; failed %d, peak RSS %.1f MiB (%s 32 MiB)", failed[key, "bootyard"],
					rss[key, "bootyard"] / 1024, rss[key, "bootyard"] < 32768 ? "under" : "NOT under")
		}
		if ((key, "ceiling") in mbs) {
			line = line sprintf("; C ping-pong ceiling %s MB/s: bootyard %s of it", mbs[key, "ceiling"],
				ratio(mbs[key, "bootyard"], mbs[key, "ceiling"]))
			if (key in best) line = line sprintf(", best C %s", ratio(mbs[key, b], mbs[key, "ceiling"]))
		}
		print line
	}
}
