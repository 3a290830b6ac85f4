"""PostgreSQL support: the local throwaway server, DSN handling and the fast loader."""
