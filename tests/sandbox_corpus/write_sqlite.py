# expect: blocked: sqlite3.connect outside the sandbox directory
import sqlite3
sqlite3.connect(os.path.join(OUTSIDE, 'evil.db')).execute('create table t(x)')
