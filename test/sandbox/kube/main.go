// Command kube is the sandbox's multi-call Kubernetes binary: one link of the
// Kubernetes release pinned in go.mod that runs, by subcommand (or by the name
// it is called under), an embedded etcd, kube-apiserver,
// kube-controller-manager or kubectl. One binary instead of four keeps the
// cold build of the sandbox to a single (slow) link on a 2-core machine.
package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/cli"
	kubectl "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	kcm "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

const usage = `usage: kube etcd --data-dir DIR --client-url URL --peer-url URL
       kube apiserver [kube-apiserver flags]
       kube controller-manager [kube-controller-manager flags]
       kube kubectl [kubectl args]   (or call the binary as "kubectl")`

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name != "kubectl" {
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, usage)
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	// The cobra commands read os.Args themselves: present each one with the
	// argument list it would see as a stand-alone binary.
	os.Args = append([]string{name}, args...)
	switch name {
	case "etcd":
		os.Exit(runEtcd(args))
	case "apiserver", "kube-apiserver":
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "controller-manager", "kube-controller-manager":
		os.Exit(cli.Run(kcm.NewControllerManagerCommand()))
	case "kubectl":
		if err := cli.RunNoErrOutput(kubectl.NewDefaultKubectlCommand()); err != nil {
			// kubectl formats its own errors (and picks the exit code) in CheckErr.
			kubectlutil.CheckErr(err)
		}
		os.Exit(0)
	default:
		fmt.Fprintf(os.Stderr, "kube: unknown subcommand %q\n%s\n", name, usage)
		os.Exit(2)
	}
}

// runEtcd starts a single-member etcd on loopback URLs and serves until
// SIGINT/SIGTERM. fsync is off: the data is throw-away test state.
func runEtcd(args []string) int {
	opts := map[string]string{}
	for i := 0; i+1 < len(args); i += 2 {
		opts[strings.TrimPrefix(args[i], "--")] = args[i+1]
	}
	for _, k := range []string{"data-dir", "client-url", "peer-url"} {
		if opts[k] == "" {
			fmt.Fprintf(os.Stderr, "kube etcd: --%s is required\n%s\n", k, usage)
			return 2
		}
	}
	client, err := url.Parse(opts["client-url"])
	if err != nil {
		fmt.Fprintf(os.Stderr, "kube etcd: --client-url: %v\n", err)
		return 2
	}
	peer, err := url.Parse(opts["peer-url"])
	if err != nil {
		fmt.Fprintf(os.Stderr, "kube etcd: --peer-url: %v\n", err)
		return 2
	}
	cfg := embed.NewConfig()
	cfg.Name = "sandbox"
	cfg.Dir = opts["data-dir"]
	cfg.ListenClientUrls = []url.URL{*client}
	cfg.AdvertiseClientUrls = []url.URL{*client}
	cfg.ListenPeerUrls = []url.URL{*peer}
	cfg.AdvertisePeerUrls = []url.URL{*peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = true
	cfg.LogLevel = "warn"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kube etcd: start: %v\n", err)
		return 1
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
		fmt.Fprintf(os.Stderr, "kube etcd: ready on %s\n", client)
	case <-time.After(60 * time.Second):
		fmt.Fprintln(os.Stderr, "kube etcd: not ready after 60s")
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
		return 0
	case err := <-e.Err():
		fmt.Fprintf(os.Stderr, "kube etcd: %v\n", err)
		return 1
	}
}
