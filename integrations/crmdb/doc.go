// Package crmdb is the external-database routing step of inbound calls, as in
// Optimus: before a call is queued, ccd asks a customer (CRM) database which
// queue, priority and attach data the call gets. On any error the caller keeps
// the route's own queue, so every error says what went wrong and where.
//
// A route's lookup works in one of two modes.
//
// Query mode runs a statement whose first row gives, in this order, the queue
// code, the priority and the attach data (any column names):
//
//	acd:
//	  routes:
//	    - dnis: "5551000"
//	      queue: sales        # fallback when the lookup fails or finds nothing
//	      lookup:
//	        driver: postgres  # postgres, mysql, sqlserver or sqlite
//	        dsn_env: CRM_DSN  # or dsn: "postgres://..."
//	        query: select queue_code, priority, attachdata from customers where phone=$CLID
//	        timeout: 1s       # default 2s
//
// The variables $CLID, $DNIS and $ATTACHDATA are case-insensitive ($clid works)
// and are always sent as bound parameters, never put into the SQL text, so a
// caller ID such as 1' OR '1'='1 is only ever compared as data. Each occurrence
// becomes the driver's placeholder ($1.. for PostgreSQL, ? for MySQL and SQLite,
// @p1.. for SQL Server); a variable may appear several times. Text inside string
// literals, quoted identifiers, comments and PostgreSQL dollar quotes is left
// alone, and a $ right after an identifier character belongs to the identifier
// (price$usd). Any other $NAME, or the driver's own placeholders (?, $1, @p1,
// SQLite's :name), is a configuration error reported by Open.
//
// Procedure mode (procedure: true instead of query) calls the Optimus routine
// OPTIMUS_GET_ROUTING_INFO(P_DNIS, P_CLID, P_ATTACH_DATA_IN, OUT P_QUEUE_CODE,
// OUT P_CALL_PRIORITY, OUT P_ATTACH_DATA). The inputs are cut to the Optimus
// widths (20, 20 and 200 characters) first; in query mode they are sent whole.
// PostgreSQL: a FUNCTION optimus_get_routing_info with OUT parameters (SELECT)
// or a PROCEDURE with INOUT/OUT parameters (CALL), whichever exists. MySQL and
// MariaDB: CALL with session variables for the outputs. SQL Server: an RPC call
// with the named parameters. SQLite has no procedures.
//
// The answer: a NULL or blank queue code is ErrNoQueue, no row is ErrNoRow (both
// mean the database does not know the caller); a priority of 1..9 is kept, 0 or
// NULL means the route's default, anything else is an error. The lookup gives up
// after its timeout even if the database hangs, and uses at most 4 connections.
package crmdb
