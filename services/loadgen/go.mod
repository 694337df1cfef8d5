module github.com/cemhq/cem/services/loadgen

go 1.26.0
