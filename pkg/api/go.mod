module github.com/drayhq/dray/pkg/api

go 1.26.0
