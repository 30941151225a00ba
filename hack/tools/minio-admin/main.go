// minio-admin: the few MinIO admin calls the tenancy tests make (users, canned policies and their
// attachments), through madmin-go, which encrypts the payloads as the admin API requires. The same
// calls as `mc admin user add`, `mc admin policy create` and `mc admin policy attach` in the chart's
// buckets Job, without building all of mc. Built from the Go module proxy into the ACOG cache on
// first use (hack/local-env/binaries.ts, findMinioAdmin).
//
//	MINIO_ENDPOINT=http://127.0.0.1:9000 MINIO_ACCESS_KEY=... MINIO_SECRET_KEY=... minio-admin <command> ...
//
//	add-user <access-key>                the user's secret key on stdin; an existing user gets the new secret
//	add-policy <name> <file|->           a canned policy from a JSON file (or stdin); replaces one of that name
//	attach-policy <name> <access-key>    attaches it to the user; already attached is no error
//	remove-user <access-key>
//	remove-policy <name>
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const usage = `usage: minio-admin add-user <access-key> (secret key on stdin)
       minio-admin add-policy <name> <file|->
       minio-admin attach-policy <name> <access-key>
       minio-admin remove-user <access-key>
       minio-admin remove-policy <name>
MINIO_ENDPOINT (http:// or https://), MINIO_ACCESS_KEY and MINIO_SECRET_KEY name the server and its admin.`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "minio-admin:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	command, args := args[0], args[1:]
	arity := map[string]int{"add-user": 1, "add-policy": 2, "attach-policy": 2, "remove-user": 1, "remove-policy": 1}
	want, known := arity[command]
	if !known {
		return fmt.Errorf("unknown command %q\n%s", command, usage)
	}
	if len(args) != want {
		return fmt.Errorf("%s takes %d argument(s), got %d\n%s", command, want, len(args), usage)
	}
	client, err := connect()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	switch command {
	case "add-user":
		secret, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		return client.AddUser(ctx, args[0], strings.TrimRight(string(secret), "\r\n"))
	case "add-policy":
		var policy []byte
		if args[1] == "-" {
			policy, err = io.ReadAll(os.Stdin)
		} else {
			policy, err = os.ReadFile(args[1])
		}
		if err != nil {
			return err
		}
		return client.AddCannedPolicy(ctx, args[0], policy)
	case "attach-policy":
		_, err := client.AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{args[0]}, User: args[1]})
		// As mc does: a policy that is attached already is the wanted state.
		if err != nil && madmin.ToErrorResponse(err).Code == "XMinioAdminPolicyChangeAlreadyApplied" {
			return nil
		}
		return err
	case "remove-user":
		return client.RemoveUser(ctx, args[0])
	default: // remove-policy
		return client.RemoveCannedPolicy(ctx, args[0])
	}
}

func connect() (*madmin.AdminClient, error) {
	endpoint, accessKey, secretKey := os.Getenv("MINIO_ENDPOINT"), os.Getenv("MINIO_ACCESS_KEY"), os.Getenv("MINIO_SECRET_KEY")
	if endpoint == "" || accessKey == "" || secretKey == "" {
		return nil, errors.New("MINIO_ENDPOINT, MINIO_ACCESS_KEY and MINIO_SECRET_KEY must be set")
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("MINIO_ENDPOINT %q is not an http:// or https:// URL", endpoint)
	}
	return madmin.NewWithOptions(u.Host, &madmin.Options{
		Creds:  credentials.NewStaticV4(accessKey, secretKey, ""),
		Secure: u.Scheme == "https",
	})
}
