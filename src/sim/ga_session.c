/* ga_session.c: see ga_session.h. The numbers (difficulty, prices, ad fill rates, error
 * rates) are plausible for a mobile-first free-to-play game; what matters is that every
 * category and dimension gets a believable shape on the dashboard. */
#include "sim/ga_session.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/errors.h"

#define WORLDS 5
#define LEVELS 10 /* per world; the last is a boss level (a third progression tier) */

typedef struct play {
  const ps_sim_population *pop;
  const ps_sim_player *player;
  ps_sim_ga_player *st;
  ps_sim_rng *r, *ids;
  json_t *events, *shared;
  int64_t t, end; /* the session's clock and its planned end */
  int oom;
} play;

/* Appends one event: the session's annotations, category, event_uuid, client_ts, then fields
 * (a new reference, taken). */
static void emit(play *pl, const char *category, json_t *fields) {
  char uuid[37];
  ps_sim_uuid(pl->ids, uuid);
  json_t *e = json_copy(pl->shared);
  if (!e || !fields || json_object_set_new(e, "category", json_string(category)) ||
      json_object_set_new(e, "event_uuid", json_string(uuid)) ||
      json_object_set_new(e, "client_ts", json_integer(pl->t < pl->end ? pl->t : pl->end)) ||
      json_object_update(e, fields) || json_array_append(pl->events, e))
    pl->oom = 1;
  json_decref(e);
  json_decref(fields);
}

/* Moves the session clock on by about `seconds`. */
static void wait(play *pl, double seconds) { pl->t += (int64_t)ceil(seconds); }

static void design(play *pl, const char *event_id, double value) {
  emit(pl, "design", json_pack("{s:s, s:f}", "event_id", event_id, "value", round(value * 10) / 10));
}

static void resource(play *pl, const char *flow, const char *currency, const char *item_type,
                     const char *item_id, double amount) {
  char id[160];
  snprintf(id, sizeof id, "%s:%s:%s:%s", flow, currency, item_type, item_id);
  /* GameAnalytics SDKs send sinks as negative amounts. */
  emit(pl, "resource", json_pack("{s:s, s:f}", "event_id", id, "amount",
                                 strcmp(flow, "Sink") == 0 ? -amount : amount));
}

static void ad(play *pl, const char *type, const char *placement, const char *action,
               const char *fail_reason) {
  static const char *const networks[] = {"admob", "applovin", "unityads", "ironsource"};
  json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:b}", "ad_sdk_name", PS_SIM_PICK(pl->r, networks),
                        "ad_placement", placement, "ad_type", type, "ad_action", action, "ad_first",
                        pl->st->session_num == 1);
  if (f && fail_reason) json_object_set_new(f, "ad_fail_show_reason", json_string(fail_reason));
  if (f && !fail_reason && type[0] != 'b')
    json_object_set_new(f, "ad_duration", json_integer(ps_sim_range(pl->r, 5000, 30000)));
  emit(pl, "ads", f);
}

/* A purchase: business event, then the gems it bought as a resource source. */
static void purchase(play *pl, const char *cart) {
  static const struct {
    const char *type, *id;
    int cents, gems;
    double weight;
  } items[] = {{"GemPack", "gems_100", 99, 100, 30},     {"GemPack", "gems_550", 499, 550, 30},
               {"GemPack", "gems_1200", 999, 1200, 12},  {"StarterPack", "starter_bundle", 299, 300, 0},
               {"Subscription", "vip_month", 799, 0, 8}};
  double weights[5];
  for (size_t i = 0; i < 5; i++) weights[i] = items[i].weight;
  size_t k = strcmp(cart, "starter_offer") == 0 ? 3 : ps_sim_weighted(pl->r, weights, 5);
  char event_id[80], receipt[40];
  snprintf(event_id, sizeof event_id, "%s:%s", items[k].type, items[k].id);
  ps_sim_uuid(pl->ids, receipt);
  pl->st->transaction_num++;
  const ps_sim_region *region = pl->player->region;
  json_t *f = json_pack("{s:s, s:I, s:s, s:i, s:s}", "event_id", event_id, "amount",
                        (json_int_t)items[k].cents * region->price_factor, "currency",
                        region->currency, "transaction_num", pl->st->transaction_num, "cart_type", cart);
  const char *platform = pl->player->platform;
  const char *store = strcmp(platform, "ios") == 0       ? "apple"
                      : strcmp(platform, "android") == 0 ? "google_play"
                                                          : NULL;
  if (f && store)
    json_object_set_new(f, "receipt_info", json_pack("{s:s, s:s}", "receipt", receipt, "store", store));
  emit(pl, "business", f);
  if (items[k].gems) {
    resource(pl, "Source", "Gems", "IAP", items[k].type, items[k].gems);
    pl->st->gems += items[k].gems;
  }
}

static void shop(play *pl) {
  wait(pl, ps_sim_range(pl->r, 5, 40));
  design(pl, "UI:Open:Shop", 0);
  static const char *const upgrades[] = {"Sword", "Armor", "Bow", "Boots"};
  if (pl->st->gold >= 300 && ps_sim_chance(pl->r, 0.7)) {
    int64_t price = ps_sim_range(pl->r, 20, 30) * 10;
    resource(pl, "Sink", "Gold", "Upgrade", PS_SIM_PICK(pl->r, upgrades), (double)price);
    pl->st->gold -= price;
  }
  /* A payer takes the starter offer the first time it sees the shop, then buys now and then. */
  if (!pl->player->payer) return;
  if (pl->st->transaction_num == 0)
    purchase(pl, "starter_offer");
  else if (ps_sim_chance(pl->r, 0.35))
    purchase(pl, "shop");
}

/* The first session's tutorial; its last step opens the shop. */
static void tutorial(play *pl) {
  design(pl, "Tutorial:Start", 0);
  static const char *const steps[] = {"Tutorial:Step:Move", "Tutorial:Step:Attack", "Tutorial:Step:Shop"};
  for (size_t i = 0; i < 3; i++) {
    double took = ps_sim_lognormal(pl->r, 25, 0.5);
    wait(pl, took);
    design(pl, steps[i], took);
  }
  shop(pl);
  if (ps_sim_chance(pl->r, 0.05)) return; /* gave up before the end */
  design(pl, "Tutorial:Complete", 0);
}

static void level_id(const play *pl, char *out, size_t cap) {
  snprintf(out, cap, "World%d:Level%02d%s", pl->st->world, pl->st->level,
           pl->st->level == LEVELS ? ":Boss" : "");
}

/* One attempt at the current level. */
static void attempt(play *pl) {
  ps_sim_ga_player *st = pl->st;
  char level[48], event_id[64];
  level_id(pl, level, sizeof level);
  snprintf(event_id, sizeof event_id, "Start:%s", level);
  emit(pl, "progression", json_pack("{s:s}", "event_id", event_id));
  st->attempts++;
  static const char *const weapons[] = {"Sword", "Bow", "Fireball", "Hammer"};
  int kills = (int)ps_sim_range(pl->r, 0, 3);
  double length = ps_sim_lognormal(pl->r, pl->player->mobile ? 75 : 240, 0.5);
  for (int k = 0; k < kills; k++) {
    wait(pl, length / (kills + 1));
    char kill[48];
    snprintf(kill, sizeof kill, "Combat:Kill:%s", PS_SIM_PICK(pl->r, weapons));
    design(pl, kill, ps_sim_lognormal(pl->r, 4, 0.5));
  }
  wait(pl, length / (kills + 1));
  double p = 0.82 - 0.035 * (st->level - 1) - 0.05 * (st->world - 1) + 0.12 * (st->attempts - 1);
  if (st->level == LEVELS) p *= 0.7;
  int complete = ps_sim_chance(pl->r, p < 0.15 ? 0.15 : p > 0.97 ? 0.97 : p);
  int64_t score = complete ? ps_sim_range(pl->r, 800, 3000) + 100 * st->level : ps_sim_range(pl->r, 50, 900);
  snprintf(event_id, sizeof event_id, "%s:%s", complete ? "Complete" : "Fail", level);
  /* As the official SDKs send them (GameAnalytics C++ 5.4.0 and 3.2.6): attempt_num on
   * Complete only, a score on both. */
  if (complete)
    emit(pl, "progression", json_pack("{s:s, s:i, s:I}", "event_id", event_id, "attempt_num",
                                      st->attempts, "score", (json_int_t)score));
  else
    emit(pl, "progression", json_pack("{s:s, s:I}", "event_id", event_id, "score", (json_int_t)score));
  if (!complete) {
    static const char *const deaths[] = {"Combat:Death:Trap", "Combat:Death:Enemy", "Combat:Death:Fall"};
    design(pl, st->level == LEVELS ? "Combat:Death:Boss" : PS_SIM_PICK(pl->r, deaths), length);
    if (pl->player->mobile && ps_sim_chance(pl->r, 0.35)) {
      wait(pl, 2);
      if (ps_sim_chance(pl->r, 0.1)) {
        ad(pl, "rewarded_video", "extra_life", "failed_show", ps_sim_chance(pl->r, 0.7) ? "no_fill" : "offline");
      } else {
        ad(pl, "rewarded_video", "extra_life", "show", NULL);
        wait(pl, 30);
        if (ps_sim_chance(pl->r, 0.04)) ad(pl, "rewarded_video", "extra_life", "clicked", NULL);
        if (ps_sim_chance(pl->r, 0.9)) ad(pl, "rewarded_video", "extra_life", "reward_received", NULL);
      }
    } else if (st->gems >= 10 && ps_sim_chance(pl->r, 0.3)) {
      resource(pl, "Sink", "Gems", "Boost", "ExtraLife", 10);
      st->gems -= 10;
    } else if (pl->player->payer && st->gems < 10 && ps_sim_chance(pl->r, 0.05)) {
      purchase(pl, "out_of_gems");
    }
    return;
  }
  int64_t reward = 50 + 10 * st->level;
  resource(pl, "Source", "Gold", "Reward", "LevelComplete", (double)reward);
  st->gold += reward;
  st->attempts = 0;
  if (++st->level > LEVELS) {
    resource(pl, "Source", "Gems", "Reward", "WorldComplete", 20);
    st->gems += 20;
    st->level = 1;
    if (st->world < WORLDS) st->world++;
  }
  if (pl->player->mobile && ps_sim_chance(pl->r, 0.25)) {
    ad(pl, "interstitial", "level_end", "show", NULL);
    if (ps_sim_chance(pl->r, 0.02)) ad(pl, "interstitial", "level_end", "clicked", NULL);
  }
}

/* Maybe an error; returns 1 when it crashed the game (the session ends without session_end). */
static int maybe_error(play *pl, const char *build) {
  static const struct {
    const char *severity, *message;
  } errors[] = {
      {"warning", "Leaderboard request timed out after 10000 ms"},
      {"error", "Texture missing: ui/shop/banner_2.png"},
      {"info", "Low memory warning received (412 MB free)"},
      {"error", "Save file checksum mismatch, restored backup"},
      {"warning", "Purchase validation pending: store did not answer in 5 s"},
      {"debug", "Shader variant compiled at runtime: Standard/FOG_LINEAR"},
  };
  if (strcmp(build, "1.4.0") == 0 && ps_sim_chance(pl->r, 0.012)) {
    wait(pl, ps_sim_range(pl->r, 10, 120));
    emit(pl, "error", json_pack("{s:s, s:s}", "severity", "critical", "message",
                                "NullReferenceException: Object reference not set to an instance "
                                "of an object\n  at ShopView.Refresh () [0x00012] in ShopView.cs:212"));
    return 1;
  }
  if (ps_sim_chance(pl->r, 0.02)) {
    size_t k = ps_sim_below(pl->r, sizeof errors / sizeof *errors);
    emit(pl, "error", json_pack("{s:s, s:s}", "severity", errors[k].severity, "message", errors[k].message));
  }
  return 0;
}

static json_t *annotations(const play *pl, const char *session_id, const char *build) {
  const ps_sim_player *p = pl->player;
  const char *connection = !p->mobile ? "lan" : ps_sim_chance(pl->r, 0.7) ? "wifi" : "wwan";
  return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}",
                   "v", 2, "user_id", p->user_id, "sdk_version", "unity 7.9.1", "engine_version",
                   "unity 2022.3.21", "os_version", p->os_version, "manufacturer", p->manufacturer,
                   "device", p->device, "platform", p->platform, "session_id", session_id,
                   "session_num", pl->st->session_num, "build", build, "connection_type", connection,
                   "custom_01", p->ab_group, "custom_02", p->acquisition, "custom_03", p->region->name);
}

int ps_sim_ga_play(const ps_sim_population *pop, const ps_sim_player *player,
                   ps_sim_ga_player *state, ps_sim_rng *behaviour, ps_sim_rng *ids, int64_t t0,
                   ps_sim_ga_session *out) {
  play pl = {.pop = pop, .player = player, .st = state, .r = behaviour, .ids = ids, .t = t0};
  char session_id[37];
  ps_sim_uuid(ids, session_id);
  if (state->world == 0) state->world = state->level = 1;
  state->session_num++;
  double minutes = ps_sim_lognormal(behaviour, player->session_minutes, 0.7);
  int64_t length = (int64_t)(minutes * 60);
  length = length < 30 ? 30 : length > 4 * 3600 ? 4 * 3600 : length;
  pl.end = t0 + length < pop->end_s - 1 ? t0 + length : pop->end_s - 1;
  const char *build = ps_sim_build_at(pop, player, t0);
  out->events = pl.events = json_array();
  pl.shared = annotations(&pl, session_id, build);
  if (!pl.events || !pl.shared) goto out;

  emit(&pl, "user", json_object());
  if (player->mobile) ad(&pl, "banner", "main_menu", "show", NULL);
  if (state->session_num == 1) tutorial(&pl);
  int crashed = 0, visited_shop = state->session_num == 1; /* the tutorial opened it */
  while (!crashed && pl.t < pl.end - 20) {
    if (!visited_shop && ps_sim_chance(behaviour, player->payer ? 0.12 : 0.05)) {
      shop(&pl);
      visited_shop = 1;
    }
    attempt(&pl);
    crashed = maybe_error(&pl, build);
    wait(&pl, ps_sim_range(behaviour, 3, 20));
  }
  if (!crashed) {
    pl.t = pl.end;
    emit(&pl, "session_end", json_pack("{s:I}", "length", (json_int_t)(pl.end - t0)));
  }
out:
  out->end_ts = pl.t < pl.end ? pl.t : pl.end;
  json_decref(pl.shared);
  if (pl.oom || !pl.events || !pl.shared) {
    json_decref(out->events);
    out->events = NULL;
    return PS_ENOMEM;
  }
  return PS_OK;
}
