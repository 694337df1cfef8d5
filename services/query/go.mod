module github.com/cemhq/cem/services/query

go 1.26.0
