package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// suite is what TestMain prepares once for every test: the bootyard binary
// and where the repository is.
type suite struct {
	repo     string
	bootyard string // path of the built binary; "" when the build failed
	buildErr error
}

// env is set once by TestMain before any test runs and only read after.
var env suite

// TestMain builds bootyard once for the whole package: each test starts the
// real binary, the way a user runs it.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	repo, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "bootyard-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	env.repo = repo
	bin := filepath.Join(dir, "bootyard")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/bootyard")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		env.buildErr = fmt.Errorf("go build ./cmd/bootyard: %w\n%s", err, out)
	} else {
		env.bootyard = bin
	}
	return m.Run()
}

// bootyardBin returns the built binary or fails the test with the build error.
func bootyardBin(t *testing.T) string {
	t.Helper()
	if env.buildErr != nil {
		t.Fatal(env.buildErr)
	}
	return env.bootyard
}
