module github.com/drayhq/dray/examples

go 1.26.0
