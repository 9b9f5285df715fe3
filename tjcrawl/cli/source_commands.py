"""Commands about source profiles: sources, goldens and `tjcrawl source check|capture|new`."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from tjcrawl.cli.common import (
    EXIT_CRAWL_PROBLEM,
    PROXY_OPTION,
    TIMEOUT_OPTION,
    _archive,
    _profile_set,
    _profiles,
    _read,
)
from tjcrawl.profiles import GROUPS, Profile


@click.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also show each source's verification state as this archive keeps it.",
)
def sources(db_path: Path | None) -> None:
    """List every source profile by group: slug, kind and name; with --db, whether each works.

    Web sources come under their `group` (city, bureaus, districts, zones, media, other),
    then the bundled fixture sites, then the profiles that cannot be loaded.

    With --db, each web source's state as the archive keeps it: unchecked (never crawled or
    checked live), verified, failing or blocked (with why), its last live check and its last
    good run. Crawls and `source check --live --db` set it; no profile file is written.

    \b
    Examples:
      tjcrawl sources
      tjcrawl sources --db /var/lib/tjcrawl/archive.db
    """
    loaded = _profile_set()
    states = _source_states(db_path) if db_path is not None else None
    if states is not None:
        click.echo(
            f"{'source':20} {'kind':8} {'state':10} {'last check':16} {'last good run':16} name"
        )
    for heading, profiles in _grouped(loaded.profiles.values()):
        click.echo(f"[{heading}] {len(profiles)}")
        for profile in profiles:
            kind = "fixture" if profile.fixture else "web"
            if states is None:
                click.echo(f"{profile.slug:20} {kind:8} {profile.name}")
                continue
            row = states.get(profile.slug, {})
            state = row.get("state") or "unchecked"
            why = f" — {row['state_reason']}" if state in ("failing", "blocked") else ""
            click.echo(
                f"{profile.slug:20} {kind:8} {state:10} {_minute(row.get('last_check_at')):16}"
                f" {_minute(row.get('last_good_run_at')):16} {profile.name}{why}"
            )
    if loaded.broken:
        click.echo(f"[broken] {len(loaded.broken)}")
    for slug in loaded.broken:
        click.echo(f"{slug:20} {'broken':8} cannot be loaded (see the error below)")
    for error in loaded.broken.values():
        click.echo(f"Error: {error}", err=True)
    if loaded.broken:
        sys.exit(1)


def _grouped(profiles: Iterable[Profile]) -> list[tuple[str, list[Profile]]]:
    """Web sources by group in GROUPS order, then the fixture sites; by slug within each."""
    by_heading: dict[str, list[Profile]] = {}
    for profile in sorted(profiles, key=lambda p: p.slug):
        heading = "fixture sites" if profile.fixture else profile.group
        by_heading.setdefault(heading, []).append(profile)
    order = [*GROUPS, "fixture sites"]
    return [(heading, by_heading[heading]) for heading in order if heading in by_heading]


def _minute(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "-"


def _source_states(db_path: Path) -> dict[str, dict[str, Any]]:
    """The archive's sources rows by slug (an archive of an older schema: what it has)."""
    with _read(db_path, allow_older=True) as db:
        return {row["slug"]: row for row in db["sources"].rows}


@click.command()
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option("--check", is_flag=True, help="Only compare; exit 1 when a golden file is stale.")
def goldens(sources: tuple[str, ...], check: bool) -> None:
    """Regenerate the golden expected items of fixture sources from their fixture sites.

    Review the diff (git diff fixtures/) before committing.

    \b
    Examples:
      tjcrawl goldens
      tjcrawl goldens demo_trs --check
    """
    from tjcrawl import fixtures

    available = {p.slug: p for p in fixtures.profiles_with_fixtures()}
    unknown = [s for s in sources if s not in available]
    if unknown:
        raise click.BadParameter(f"no fixture site for {', '.join(unknown)}", param_hint="SOURCE")
    stale = []
    for slug in sources or tuple(available):
        profile = available[slug]
        if check:
            items, _ = fixtures.offline_crawl(profile)
            if fixtures.golden_items(items) != fixtures.read_goldens(slug):
                stale.append(slug)
            continue
        count, dropped = fixtures.write_goldens(profile)
        click.echo(f"{slug}: {count} items -> {fixtures.golden_path(slug)}")
        for reason in dropped:
            click.echo(f"  dropped: {reason}")
    if stale:
        raise click.ClickException(f"stale goldens: {', '.join(stale)} (run `tjcrawl goldens`)")


# -- source profiles: check, capture, propose ------------------------------------------------
@click.group()
def source() -> None:
    """Check a profile, save live pages as fixtures, or propose a profile for a new site.

    \b
    Examples:
      tjcrawl source check                        every source against its fixtures
      tjcrawl source check tj_gov_tjxw --live --db archive.db    a few live pages,
                                                  the verdict kept in the archive
      tjcrawl source capture tj_gov_tjxw          live pages -> fixtures/, goldens diff
      tjcrawl source new https://www.tj.gov.cn/sy/tjxw/
    """


def _live_reachable(profile: Profile, proxies: dict[str, str]) -> None:
    """A fixture profile's hosts are not on the web: only through a given proxy."""
    if profile.fixture and not set(profile.hosts) <= set(proxies):
        raise click.UsageError(
            f"{profile.slug}: a fixture site, not on the web; map its host with --proxy"
            f" ({', '.join(profile.hosts)}=http://127.0.0.1:PORT)"
        )


@source.command(name="check")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option(
    "--live",
    is_flag=True,
    help="Fetch a few live pages (2 listing, 3 detail) politely instead of the fixtures.",
)
@PROXY_OPTION
@TIMEOUT_OPTION
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --live: keep the verdict (verified, failing, blocked) in this archive.",
)
@click.option(
    "--no-record",
    is_flag=True,
    hidden=True,
    help="Deprecated, no effect: a live check records only into the archive given by --db.",
)
def source_check(
    sources: tuple[str, ...],
    live: bool,
    proxies: dict[str, str],
    timeout: float,
    db_path: Path | None,
    no_record: bool,
) -> None:
    """Run profiles over their fixtures (default) or a few live pages; report per field.

    Every field gets a line: on how many pages or entries it matched. Fixture checks also
    compare the items with the goldens. A --live check with --db keeps its verdict in the
    archive's sources table (state verified, failing or blocked; see `tjcrawl sources --db`);
    no file of the repository is written. A block or challenge page (a WAF, 403) is named as
    such. Exits 3, one line per failing field on stderr, when a required field (entries, link,
    title, body) does not match everywhere.

    \b
    Examples:
      tjcrawl source check
      tjcrawl source check tj_gov_tjxw --live --db /var/lib/tjcrawl/archive.db
      tjcrawl source check demo_trs --live --proxy gov.tjcrawl.test=http://127.0.0.1:8000
    """
    from tjcrawl import source_check as checks
    from tjcrawl.fixtures import fixture_dir
    from tjcrawl.storage.archive import record_source_row
    from tjcrawl.verification import check_verdict, record

    profiles = _profiles()
    unknown = [s for s in sources if s not in profiles]
    if unknown:
        raise click.BadParameter(
            f"unknown source {', '.join(unknown)} (see `tjcrawl sources`)", param_hint="SOURCE"
        )
    if live and not sources:
        raise click.UsageError("--live fetches from the web: name the source(s) to check")
    if db_path is not None and not live:
        raise click.UsageError("--db records a live check: add --live")
    if db_path is not None:
        with _archive(db_path, must_exist=False):
            pass  # a path that is no archive fails here, in one line, before any fetch
    chosen = [profiles[s] for s in sources] if sources else list(profiles.values())
    problems: list[str] = []
    for profile in chosen:
        if live:
            _live_reachable(profile, proxies)
            report = checks.check_live(profile, proxies=proxies, timeout=timeout)
        elif not (fixture_dir(profile.slug) / "site").is_dir():
            problems.append(f"{profile.slug}: no fixture site (fixtures/{profile.slug}/site)")
            continue
        else:
            report = checks.check_fixtures(profile)
        click.echo(report.text())
        problems += report.problems
        if live:
            verdict = check_verdict(report.ok, report.problems, profile.slug)
            if db_path is None:
                click.echo(f"{profile.slug}: {verdict.state} (not recorded: add --db ARCHIVE)")
                continue
            with _archive(db_path, must_exist=False) as db:
                record_source_row(db.conn, profile)
                record(db.conn, profile.slug, verdict)
            click.echo(f"{profile.slug}: {verdict.state}, recorded in {db_path}")
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(EXIT_CRAWL_PROBLEM)


@source.command(name="capture")
@click.argument("target", metavar="SOURCE|URL")
@click.option(
    "--as",
    "as_slug",
    metavar="SLUG",
    help="With a URL: the source to save it under (a new slug is fine: no profile needed).",
)
@PROXY_OPTION
@TIMEOUT_OPTION
@click.option(
    "--listing-pages",
    type=click.IntRange(1, 10),
    default=2,
    show_default=True,
    help="Listing pages to fetch.",
)
@click.option(
    "--details",
    "detail_pages",
    type=click.IntRange(0, 30),
    default=3,
    show_default=True,
    help="Detail pages to fetch, spread over the listing.",
)
@click.option("--keep", is_flag=True, help="Add to the fixture site instead of replacing it.")
@click.option(
    "--fixtures-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Fixture folder (default: $TJCRAWL_FIXTURES_DIR, else fixtures/).",
)
def source_capture(
    target: str,
    as_slug: str | None,
    proxies: dict[str, str],
    timeout: float,
    listing_pages: int,
    detail_pages: int,
    keep: bool,
    fixtures_dir: Path | None,
) -> None:
    """Save a few live pages of a source as its fixture site and regenerate its goldens.

    Pages are saved as raw bytes under fixtures/SLUG/site/ with their response headers in
    fixtures/SLUG/headers.json; fixture.toml gets the fetch time. The difference between the
    old and new golden items is printed for review. `capture URL --as SLUG` starts from
    another listing URL, or saves a site that has no profile yet (for `source new`).

    \b
    Examples:
      tjcrawl source capture tj_gov_tjxw
      tjcrawl source capture https://www.tj.gov.cn/sy/tzgg/ --as tj_gov_tzgg
    """
    from tjcrawl.profiles import SLUG_RE
    from tjcrawl.source_capture import capture
    from tjcrawl.source_check import LiveFetcher

    profiles = _profiles()
    if target.startswith(("http://", "https://")):
        if not as_slug:
            raise click.UsageError("capture URL needs --as SLUG")
        if not SLUG_RE.match(as_slug):
            raise click.BadParameter("lower-case letters, digits and _", param_hint="--as")
        slug, url, profile = as_slug, target, profiles.get(as_slug)
        host = (urlsplit(url).hostname or "").lower()
        if profile is not None and not any(
            host == d or host.endswith("." + d) for d in profile.allowed_domains
        ):
            raise click.BadParameter(f"{url} is outside {slug}'s allowed_domains")
        domains = profile.allowed_domains if profile else (host,)
    else:
        if as_slug:
            raise click.UsageError("--as is only for capture URL")
        if target not in profiles:
            raise click.BadParameter(
                f"unknown source {target} (see `tjcrawl sources`)", param_hint="SOURCE"
            )
        slug, url, profile = target, None, profiles[target]
        domains = profile.allowed_domains
    if profile is not None:
        _live_reachable(profile, proxies)
    fetcher = LiveFetcher(allowed_domains=domains, proxies=proxies, timeout=timeout)
    try:
        result = capture(
            slug,
            fetcher,
            profile=profile,
            start_url=url,
            fixtures_dir=fixtures_dir,
            listing_pages=listing_pages,
            detail_pages=detail_pages,
            keep=keep,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result.summary())
    if result.diff:
        click.echo(result.diff, nl=False)
    if profile is None:
        click.echo(f"next: tjcrawl source new --from-fixtures {slug}")
    else:
        click.echo(f"next: review git diff {result.folder}; then tjcrawl source check {slug}")


@source.command(name="new")
@click.argument("target", required=False, metavar="URL|FILE")
@click.option(
    "--from-fixtures",
    "from_fixtures",
    metavar="SOURCE",
    help="Read the saved first listing page of this fixture site (and its saved detail pages).",
)
@click.option("--base-url", help="With FILE: the URL the listing was saved from.")
@click.option("--slug", help="Slug of the proposed profile (default: from the host).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the TOML (default proposals/SLUG.toml; - for standard output).",
)
@click.option("--force", is_flag=True, help="Overwrite the output file.")
@click.option(
    "--compare",
    is_flag=True,
    help="With --from-fixtures: compare the proposal's items with the source's profile's.",
)
@click.option(
    "--details",
    "detail_pages",
    type=click.IntRange(1, 10),
    default=3,
    show_default=True,
    help="Detail pages to learn from.",
)
@PROXY_OPTION
@TIMEOUT_OPTION
def source_new(
    target: str | None,
    from_fixtures: str | None,
    base_url: str | None,
    slug: str | None,
    output: Path | None,
    force: bool,
    compare: bool,
    detail_pages: int,
    proxies: dict[str, str],
    timeout: float,
) -> None:
    """Propose a profile from a listing page: entries, link, title, date, pagination, and
    from a few detail pages title, date, body, 来源 and boilerplate.

    The TOML is written for review, with comments where a choice was uncertain, and tried on
    the pages it was drawn from. Nothing is added to tjcrawl/sources/ until you move it there.

    \b
    Examples:
      tjcrawl source new https://www.tj.gov.cn/sy/tjxw/
      tjcrawl source new --from-fixtures demo_trs --compare
      tjcrawl source new saved/index.html --base-url https://fzgg.tj.gov.cn/dtzx/tzgg/index.shtml
    """
    from tjcrawl import source_new as inference
    from tjcrawl.profiles import SLUG_RE
    from tjcrawl.source_check import LiveFetcher
    from tjcrawl.source_new.sampling import registrable_domain

    if slug and not SLUG_RE.match(slug):
        raise click.BadParameter("lower-case letters, digits and _", param_hint="--slug")
    if compare and not from_fixtures:
        raise click.UsageError("--compare needs --from-fixtures SOURCE")
    try:
        if from_fixtures:
            if target:
                raise click.UsageError("give URL|FILE or --from-fixtures, not both")
            start_url, fetch = inference.fixture_source(from_fixtures)
            slug = slug or from_fixtures
        elif target and target.startswith(("http://", "https://")):
            start_url = target
            # Every host of the site: articles may stand on a sister host (news. and ent.).
            site = registrable_domain(urlsplit(target).hostname or "")
            fetch = LiveFetcher(allowed_domains=[site], proxies=proxies, timeout=timeout).fetch
        elif target:
            path = Path(target)
            if not path.is_file():
                raise click.BadParameter(f"{target}: no such file", param_hint="URL|FILE")
            if not base_url:
                raise click.UsageError("a saved listing FILE needs --base-url URL")
            start_url = base_url
            site = registrable_domain(urlsplit(base_url).hostname or "")
            live = LiveFetcher(allowed_domains=[site], proxies=proxies, timeout=timeout)
            fetch = inference.file_source(path, base_url, live.fetch)
        else:
            raise click.UsageError("give a listing URL, a saved FILE or --from-fixtures SOURCE")
        proposal = inference.propose(start_url, fetch, slug=slug, detail_pages=detail_pages)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    text = proposal.toml()
    to_stdout = output is not None and str(output) == "-"
    report = click.echo if not to_stdout else (lambda line="": click.echo(line, err=True))
    if to_stdout:
        click.echo(text, nl=False)
    else:
        output = output or Path("proposals") / f"{proposal.slug}.toml"
        if output.exists() and not force:
            raise click.ClickException(f"{output} exists; add --force to overwrite it")
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        report(f"{proposal.slug}: proposal written to {output}")
    report("tried on the sample pages:")
    for row in proposal.trial:
        report(row.line())
    if proposal.sample_results:
        from tjcrawl.source_new.trial import template_lines

        report("per template (the body's selector part):")
        for line in template_lines(proposal.sample_results):
            report(line)
    for item in proposal.unsure:
        report(f"unsure: {item}")
    if proposal.sample_results:
        report(f"verdict: {proposal.verdict}")
        for reason in proposal.verdict_reasons:
            report(f"  {reason}")
    if compare:
        profiles = _profiles()
        if from_fixtures not in profiles:
            raise click.ClickException(f"{from_fixtures}: no profile to compare with")
        result = inference.compare_with_profile(proposal, profiles[from_fixtures])
        fields = ", ".join(f"{n} {result.field_share(n):.0%}" for n in result.compared)
        report(
            f"{from_fixtures}: {result.share:.1%} of fields equal to the hand-written profile's"
            f" items ({result.reference_items} items; proposal {result.proposed_items}): {fields}"
        )
