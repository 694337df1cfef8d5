module github.com/cemhq/cem/services/collector

go 1.26.0
