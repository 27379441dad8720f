//! The Redis store's Lua scripts: each is one atomic step on one partition's slot.

use redis::Script;

/// KEYS: the log, the event's de-duplication key. ARGV: the event, the key's lifetime (s),
/// the contact id (kept beside the event so that READ_BATCH finds the state to load), the
/// wake-up channel and the partition (see `RedisStore::wake_channel`).
const ACCEPT: &str = r"
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('XADD', KEYS[1], '*', 'e', ARGV[1], 'c', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1";

const ACQUIRE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token";

const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0";

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1";

const READ: &str = r"
local cursor = redis.call('GET', KEYS[1])
local start = '-'
if cursor then start = '(' .. cursor end
return redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', ARGV[1])";

/// READ and the states of the contacts read, in one round trip. KEYS: cursor, log. ARGV: how
/// many, the prefix of the partition's contact keys. The contact keys are not declared: they
/// are only known once the log is read, and they share the partition's hash tag, so the
/// script still touches a single slot. An entry without its contact id (appended before ids
/// were kept beside events) is left for the caller to load.
/// Returns {entries, contact ids, their states (nil when absent)}.
const READ_BATCH: &str = r"
local cursor = redis.call('GET', KEYS[1])
local start = '-'
if cursor then start = '(' .. cursor end
local entries = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', ARGV[1])
local ids, states, seen = {}, {}, {}
for _, entry in ipairs(entries) do
  local fields = entry[2]
  local id = nil
  if fields[1] == 't' then
    local a = string.find(fields[2], '|', 1, true)
    local b = a and string.find(fields[2], '|', a + 1, true)
    if b then id = string.sub(fields[2], b + 1) end
  elseif fields[3] == 'c' then
    id = fields[4]
  end
  if id and not seen[id] then
    seen[id] = true
    ids[#ids + 1] = id
    states[#states + 1] = redis.call('GET', ARGV[2] .. id)
  end
end
return {entries, ids, states}";

/// KEYS: lease, cursor, log, timers, outbox, calls, a key per state, then a pair per counted
/// version: its hash for this hour and its sorted set of days.
/// ARGV: token, position, then counted groups: states, timers set (member, due), timers
/// cleared, outbox messages, pending calls, then the counters: the hour, its day, how long they are kept
/// (ms), the oldest day kept, and per version a count of (field, increment) pairs.
const COMMIT: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LEASE_LOST') end
local i = 3
local k = 6
local n = tonumber(ARGV[i]); i = i + 1
for j = 1, n do redis.call('SET', KEYS[k + j], ARGV[i]); i = i + 1 end
k = k + n
n = tonumber(ARGV[i]); i = i + 1
for j = 1, n do redis.call('ZADD', KEYS[4], ARGV[i + 1], ARGV[i]); i = i + 2 end
n = tonumber(ARGV[i]); i = i + 1
for j = 1, n do redis.call('ZREM', KEYS[4], ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
for j = 1, n do redis.call('XADD', KEYS[5], '*', 'm', ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
for j = 1, n do redis.call('XADD', KEYS[6], '*', 'k', ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
if n > 0 then
  local day, ttl, oldest = ARGV[i], ARGV[i + 1], ARGV[i + 2]; i = i + 3
  for j = 1, n do
    local bucket, days = KEYS[k + 1], KEYS[k + 2]; k = k + 2
    local fields = tonumber(ARGV[i]); i = i + 1
    for f = 1, fields do redis.call('HINCRBY', bucket, ARGV[i], ARGV[i + 1]); i = i + 2 end
    redis.call('PEXPIRE', bucket, ttl)
    redis.call('ZADD', days, day, day)
    redis.call('ZREMRANGEBYSCORE', days, '-inf', '(' .. oldest)
    redis.call('PEXPIRE', days, ttl)
  end
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('XTRIM', KEYS[3], 'MINID', ARGV[2])
return 1";

/// KEYS: lease, log, timers, outbox, the contact's state, calls. ARGV: the contact id, a
/// `ZSCAN` pattern for its timers.
/// Revokes the partition's lease first: a batch its holder loaded before cannot commit.
/// Events and messages are matched on their decoded `contact_id`, timers on the id they end
/// with (`token|run|contact`), never on a substring that another contact's data could hold.
const ERASE: &str = r"
local id = ARGV[1]
local function timer_owner(member)
  local a = string.find(member, '|', 1, true)
  if not a then return nil end
  local b = string.find(member, '|', a + 1, true)
  if not b then return nil end
  return string.sub(member, b + 1)
end
local function owner(json)
  local ok, value = pcall(cjson.decode, json)
  if ok and type(value) == 'table' then return value['contact_id'] end
  return nil
end
redis.call('DEL', KEYS[1])
local state = redis.call('DEL', KEYS[5])
local timers = 0
local cursor = '0'
repeat
  local page = redis.call('ZSCAN', KEYS[3], cursor, 'MATCH', ARGV[2], 'COUNT', 1000)
  cursor = page[1]
  local entries = page[2]
  for j = 1, #entries, 2 do
    if timer_owner(entries[j]) == id then
      timers = timers + redis.call('ZREM', KEYS[3], entries[j])
    end
  end
until cursor == '0'
local function sweep(key, whose)
  local removed = 0
  local start = '-'
  while true do
    local page = redis.call('XRANGE', key, start, '+', 'COUNT', 500)
    if #page == 0 then break end
    for _, entry in ipairs(page) do
      if whose(entry[2][1], entry[2][2]) == id then
        removed = removed + redis.call('XDEL', key, entry[1])
      end
    end
    start = '(' .. page[#page][1]
  end
  return removed
end
local events = sweep(KEYS[2], function(kind, body)
  if kind == 't' then return timer_owner(body) end
  return owner(body)
end)
local outbox = sweep(KEYS[4], function(_, body) return owner(body) end)
local calls = sweep(KEYS[6], function(_, body) return owner(body) end)
return {state, timers, events, outbox, calls}";

/// KEYS: calls, log. ARGV: the call's position, the answer event, its contact id, the
/// wake-up channel and the partition.
/// The answer goes into the log only if the call was still waiting, in the same step that
/// takes it out: an answer is applied once however many processes made the call.
const ANSWER: &str = r"
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'e', ARGV[2], 'c', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1";

const FIRE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LEASE_LOST') end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[3], '*', 't', member)
  redis.call('ZREM', KEYS[2], member)
end
return #due";

/// KEYS: the alias, the set of the contact's aliases in the alias's partition. ARGV: the
/// contact id, the alias key as that set records it. Returns the contact id linked now.
const LINK_ALIAS: &str = r"
local linked = redis.call('GET', KEYS[1])
if linked then return linked end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return ARGV[1]";

/// KEYS: the set of a contact's aliases in one partition. ARGV: the contact id, the prefix
/// of that partition's alias keys (undeclared, on the same slot). Returns how many went.
const UNLINK_ALIASES: &str = r"
local removed = 0
for _, alias in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[2] .. alias
  if redis.call('GET', key) == ARGV[1] then removed = removed + redis.call('DEL', key) end
end
redis.call('DEL', KEYS[1])
return removed";

pub(super) struct Scripts {
    pub(super) accept: Script,
    pub(super) acquire: Script,
    pub(super) renew: Script,
    pub(super) release: Script,
    pub(super) read: Script,
    pub(super) read_batch: Script,
    pub(super) commit: Script,
    pub(super) fire: Script,
    pub(super) erase: Script,
    pub(super) link_alias: Script,
    pub(super) unlink_aliases: Script,
    pub(super) answer: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            accept: Script::new(ACCEPT),
            acquire: Script::new(ACQUIRE),
            renew: Script::new(RENEW),
            release: Script::new(RELEASE),
            read: Script::new(READ),
            read_batch: Script::new(READ_BATCH),
            commit: Script::new(COMMIT),
            fire: Script::new(FIRE),
            erase: Script::new(ERASE),
            link_alias: Script::new(LINK_ALIAS),
            unlink_aliases: Script::new(UNLINK_ALIASES),
            answer: Script::new(ANSWER),
        }
    }
}
