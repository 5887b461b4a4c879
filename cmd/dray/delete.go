package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	v1 "github.com/drayhq/dray/pkg/api/v1"
	"github.com/drayhq/dray/pkg/client"
)

// deleteKind is a kind dray delete removes: the resource of its API path, its name as
// kubectl prints it (resource.group), and its scope.
type deleteKind struct {
	kind, resource, printed string
	scope                   scope
}

// scope is where a kind's resources live: in a project, cluster-wide, or (a Project) the
// project itself.
type scope int

const (
	inProject scope = iota
	clusterWide
	isProject
)

// deleteKinds are the kinds dray delete takes, by every name it accepts for them.
var deleteKinds = func() map[string]deleteKind {
	m := map[string]deleteKind{}
	for _, k := range []struct {
		deleteKind
		names []string
	}{
		{deleteKind{v1.KindStage, "stages", "stage.kargo.akuity.io", inProject}, []string{"stage", "stages"}},
		{deleteKind{v1.KindWarehouse, "warehouses", "warehouse.kargo.akuity.io", inProject}, []string{"warehouse", "warehouses"}},
		{deleteKind{v1.KindFreight, "freight", "freight.kargo.akuity.io", inProject}, []string{"freight", "freights"}},
		{deleteKind{v1.KindPromotionTask, "promotiontasks", "promotiontask.kargo.akuity.io", inProject}, []string{"promotiontask", "promotiontasks"}},
		{deleteKind{v1.KindProjectConfig, "projectconfigs", "projectconfig.kargo.akuity.io", inProject}, []string{"projectconfig", "projectconfigs"}},
		{deleteKind{v1.KindEventRouter, "eventrouters", "eventrouter.ee.kargo.akuity.io", inProject}, []string{"eventrouter", "eventrouters"}},
		{deleteKind{v1.KindMessageChannel, "messagechannels", "messagechannel.ee.kargo.akuity.io", inProject}, []string{"messagechannel", "messagechannels"}},
		{deleteKind{v1.KindConfigMap, "configmaps", "configmap", inProject}, []string{"configmap", "configmaps", "cm"}},
		{deleteKind{v1.KindServiceAccount, "serviceaccounts", "serviceaccount", inProject}, []string{"serviceaccount", "serviceaccounts", "sa"}},
		{deleteKind{v1.KindRole, "roles", "role.rbac.authorization.k8s.io", inProject}, []string{"role", "roles"}},
		{deleteKind{v1.KindRoleBinding, "rolebindings", "rolebinding.rbac.authorization.k8s.io", inProject}, []string{"rolebinding", "rolebindings"}},
		{deleteKind{"Token", "tokens", "token", inProject}, []string{"token", "tokens"}},
		{deleteKind{v1.KindSecret, "secrets", "secret", inProject}, []string{"secret", "secrets"}},
		{deleteKind{v1.KindProject, "projects", "project.kargo.akuity.io", isProject}, []string{"project", "projects"}},
		{deleteKind{v1.KindClusterConfig, "clusterconfigs", "clusterconfig.kargo.akuity.io", clusterWide}, []string{"clusterconfig", "clusterconfigs"}},
		{deleteKind{v1.KindClusterPromotionTask, "clusterpromotiontasks", "clusterpromotiontask.kargo.akuity.io", clusterWide}, []string{"clusterpromotiontask", "clusterpromotiontasks"}},
		{deleteKind{v1.KindClusterMessageChannel, "clustermessagechannels", "clustermessagechannel.kargo.akuity.io", clusterWide}, []string{"clustermessagechannel", "clustermessagechannels"}},
		{deleteKind{v1.KindCustomPromotionStep, "custompromotionsteps", "custompromotionstep.ee.kargo.akuity.io", clusterWide}, []string{"custompromotionstep", "custompromotionsteps"}},
	} {
		for _, n := range k.names {
			m[n] = k.deleteKind
		}
		m[strings.ToLower(k.kind)] = k.deleteKind
	}
	return m
}()

// target is one resource to delete.
type target struct {
	deleteKind
	project, name string
}

func newDelete(g *globals) *cobra.Command {
	var (
		files          []string
		ignoreNotFound bool
	)
	cmd := &cobra.Command{
		Use:   "delete (KIND NAME [NAME...] | -f FILE|DIR|-)",
		Short: "Delete resources by kind and name, or those a manifest names",
		Long: `Delete resources of a project, as kubectl delete does: by KIND and NAME, or every resource
of manifests with -f (- reads standard input). KIND is stage, warehouse, freight (by name or
alias), promotiontask, projectconfig, eventrouter, messagechannel, configmap, serviceaccount,
role, rolebinding, token or secret in the project; project; or the cluster-wide
clusterconfig, clusterpromotiontask, clustermessagechannel and custompromotionstep (plural
forms too). Each deleted resource is printed as kubectl prints it (a Secret's values never
are); one that does not exist is an error unless --ignore-not-found, and the others are still
deleted.

What goes with a resource follows Kargo: a deleted Stage's Promotions are aborted (a running
one stops) and deleted, its status is dropped, and its Freight forget it; a Warehouse's
Freight stays, its discovery status goes; Freight that a Stage holds cannot be deleted (the
error names the Stages). A deleted Project takes everything in it, as deleting a Kargo
Project deletes its namespace: every Stage as above, every resource, Freight, Secret and
token; its audit records stay. Deleting needs the delete verb on the kind (a developer's or
an admin's role; a Project needs its admin's; cluster-wide kinds a system admin's).`,
		Example: `  dray delete stage dev -p shop
  dray delete stages dev staging
  dray delete freight quiet-lynx
  dray delete -f examples/guestbook/stages.yaml
  dray get stages -o yaml | dray delete -f -
  dray delete warehouse old --ignore-not-found
  dray delete secret git-creds
  dray delete project shop
  dray delete clusterconfig cluster`,
		ValidArgsFunction: completeDelete(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.newClient()
			if err != nil {
				return err
			}
			targets, err := g.deleteTargets(cmd, c, files, args)
			if err != nil {
				return err
			}
			var errs []error
			for _, t := range targets {
				err := deleteOne(cmd.Context(), c, t)
				var apiErr *client.APIError
				switch {
				case err == nil:
					fmt.Fprintf(cmd.OutOrStdout(), "%s %q deleted\n", t.printed, t.name)
				case errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound:
					if !ignoreNotFound {
						errs = append(errs, fmt.Errorf("%s %q not found%s", t.printed, t.name, t.where()))
					}
				default:
					errs = append(errs, fmt.Errorf("%s %q: %w", t.printed, t.name, err))
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "manifest file or directory whose resources to delete, or - for standard input (repeatable)")
	cmd.Flags().BoolVar(&ignoreNotFound, "ignore-not-found", false, "treat a resource that does not exist as deleted")
	return cmd
}

// where says where t was looked for: in its project, unless it is cluster-wide or a Project.
func (t target) where() string {
	if t.scope != inProject {
		return ""
	}
	return fmt.Sprintf(" in project %q", t.project)
}

// deleteTargets reads what to delete from the arguments or the manifests of files.
func (g *globals) deleteTargets(cmd *cobra.Command, c *client.Client, files, args []string) ([]target, error) {
	switch {
	case len(files) > 0 && len(args) > 0:
		return nil, errors.New("name resources either as KIND NAME... or with -f, not both")
	case len(files) > 0:
		objs, err := readManifests(cmd, files)
		if err != nil {
			return nil, fmt.Errorf("nothing was deleted:\n%w", err)
		}
		var out []target
		var errs []error
		for _, o := range objs {
			k, ok := deleteKinds[strings.ToLower(o.Kind)]
			if !ok || k.resource == "tokens" {
				errs = append(errs, fmt.Errorf("%s: %s %q: dray delete does not delete a %s (it deletes %s)", o.File, o.Kind, o.Name, o.Kind, deletableList()))
				continue
			}
			project := o.Project
			if project == "" && k.scope == inProject {
				p, err := g.resolveProject(cmd.Context(), c)
				if err != nil {
					return nil, err
				}
				project = p
			}
			out = append(out, target{k, project, o.Name})
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("nothing was deleted:\n%w", errors.Join(errs...))
		}
		// A Project goes last: deleting it first would take the manifests' other resources
		// of the project with it, and each would then be reported not found.
		slices.SortStableFunc(out, func(a, b target) int { return cmp.Compare(btoi(a.scope == isProject), btoi(b.scope == isProject)) })
		return out, nil
	case len(args) < 2:
		return nil, errors.New("name what to delete: dray delete KIND NAME [NAME...], or dray delete -f FILE")
	}
	k, ok := deleteKinds[strings.ToLower(args[0])]
	if !ok {
		return nil, fmt.Errorf("dray delete does not know kind %q: use one of %s", args[0], deletableList())
	}
	project := ""
	if k.scope == inProject {
		p, err := g.resolveProject(cmd.Context(), c)
		if err != nil {
			return nil, err
		}
		project = p
	}
	var out []target
	for _, n := range args[1:] {
		out = append(out, target{k, project, n})
	}
	return out, nil
}

// deleteOne deletes t: a token is revoked, anything else deleted.
func deleteOne(ctx context.Context, c *client.Client, t target) error {
	switch {
	case t.resource == "tokens":
		return c.RevokeToken(ctx, t.project, t.name)
	case t.scope == isProject:
		return c.DeleteProject(ctx, t.name)
	case t.scope == clusterWide:
		return c.DeleteCluster(ctx, t.resource, t.name)
	}
	return c.Delete(ctx, t.project, t.resource, t.name)
}

func deletableList() string {
	return "stage, warehouse, freight, promotiontask, projectconfig, eventrouter, messagechannel, configmap, serviceaccount, role, rolebinding, token, secret, project, clusterconfig, clusterpromotiontask, clustermessagechannel, custompromotionstep"
}

// completeDelete completes dray delete's KIND, then names of kinds that have them.
func completeDelete(g *globals) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			var out []cobra.Completion
			for _, k := range strings.Split(deletableList(), ", ") {
				if strings.HasPrefix(k, toComplete) {
					out = append(out, k)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		if k, ok := deleteKinds[strings.ToLower(args[0])]; ok {
			switch k.resource {
			case "stages", "warehouses", "freight", "projects":
				return namesOf(cmd, g, k.resource, toComplete)
			}
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
