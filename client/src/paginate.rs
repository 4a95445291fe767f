//! Walking every page of a job's sessions, by `offset` and `limit` on the job's own collection.
//!
//! `_links.next` is read only as "more pages exist" (contract D10): the seed's own example
//! links out of the job's collection, and following it would list every job's sessions. The
//! walk ends on a short page or a page without `next`; a server that repeats a page, overfills
//! one, sends empty pages that still promise more, or serves pages in a loop ends it with an
//! error, never a loop.
//!
//! Sessions are listed newest first and paged by offset, so a session that starts during a walk
//! pushes the sessions of every later page one place on: page n+1 then begins with the
//! session(s) that ended page n. The walk recognises that run and skips it, so each session is
//! yielded once; [`JobSessions::repeats_skipped`] says how many it skipped. A session removed
//! during a walk (retention) pulls the later pages back instead, and offset paging then misses
//! one session at the page boundary; nothing in a page shows that, so it is not detected.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt, stream};
use uuid::Uuid;

use crate::client::Client;
use crate::error::Error;
use crate::wire;

/// What a walk has counted, shared between the walk and the stream handed to the caller.
#[derive(Debug, Default)]
struct Progress {
    repeats_skipped: AtomicU64,
}

/// Where a walk is.
struct Walk {
    client: Client,
    job_id: Uuid,
    limit: NonZeroU32,
    offset: u32,
    /// Offset and first session of the previous page, to notice a page served twice.
    previous: Option<(u32, Uuid)>,
    /// The previous page's session ids in order, to recognise a shifted run.
    previous_ids: Vec<Uuid>,
    /// Every session id yielded so far (16 bytes each; bounded by `max_sessions`).
    seen: HashSet<Uuid>,
    max_sessions: u64,
    progress: Arc<Progress>,
    done: bool,
}

/// Every session of a job, each once, in the server's order: a [`Stream`] from
/// [`Client::job_sessions`].
pub struct JobSessions {
    inner: BoxStream<'static, Result<wire::JobSession, Error>>,
    progress: Arc<Progress>,
}

/// Every page of a job's sessions: a [`Stream`] from [`Client::pages`]. A page's `results`
/// hold only the sessions not listed earlier in the walk (see [`Self::repeats_skipped`]).
pub struct Pages {
    inner: BoxStream<'static, Result<wire::JobSessionPage, Error>>,
    progress: Arc<Progress>,
}

impl JobSessions {
    /// Sessions the walk skipped so far because the collection shifted under it (a session
    /// that started mid-walk pushed them onto the next page).
    pub fn repeats_skipped(&self) -> u64 {
        self.progress.repeats_skipped.load(Ordering::Relaxed)
    }
}

impl Pages {
    /// Sessions the walk removed from pages so far because the collection shifted under it.
    pub fn repeats_skipped(&self) -> u64 {
        self.progress.repeats_skipped.load(Ordering::Relaxed)
    }
}

impl Stream for JobSessions {
    type Item = Result<wire::JobSession, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl Stream for Pages {
    type Item = Result<wire::JobSessionPage, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl Client {
    /// Every session of the job, page after page, in the server's order (newest first), each
    /// once even when the collection shifts during the walk.
    pub fn job_sessions(&self, job_id: Uuid) -> JobSessions {
        let Pages { inner, progress } = self.pages(job_id);
        JobSessions {
            inner: inner
                .map_ok(|page| stream::iter(page.results.into_iter().map(Ok)))
                .try_flatten()
                .boxed(),
            progress,
        }
    }

    /// Every page of the job's sessions, [`Client::page_size`] sessions at a time, with the
    /// sessions a shift repeated removed.
    pub fn pages(&self, job_id: Uuid) -> Pages {
        let progress = Arc::new(Progress::default());
        let walk = Walk {
            client: self.clone(),
            job_id,
            limit: self.inner.page_size,
            offset: 0,
            previous: None,
            previous_ids: Vec::new(),
            seen: HashSet::new(),
            max_sessions: self.inner.max_sessions_per_walk,
            progress: Arc::clone(&progress),
            done: false,
        };
        let inner = stream::try_unfold(walk, |mut walk| async move {
            if walk.done {
                return Ok(None);
            }
            let mut page = walk
                .client
                .page(walk.job_id, walk.offset, walk.limit.get())
                .await?;
            walk.step(&mut page)?;
            Ok(Some((page, walk)))
        })
        .boxed();
        Pages { inner, progress }
    }
}

impl Walk {
    /// Judges `page` (the one at `self.offset`), removes the sessions a shift repeated, and
    /// moves to the next page, or finishes.
    fn step(&mut self, page: &mut wire::JobSessionPage) -> Result<(), Error> {
        let requested = i64::from(self.offset);
        if i64::from(page.offset) != requested {
            return Err(Error::RepeatedOffset {
                requested,
                returned: i64::from(page.offset),
            });
        }
        let count = page.results.len();
        let limit = self.limit.get();
        if count > limit as usize {
            return Err(Error::OverLimit {
                offset: requested,
                limit,
                count,
            });
        }
        if let (Some((offset, first)), Some(session)) = (self.previous, page.results.first())
            && session.id == first
        {
            return Err(Error::RepeatedOffset {
                requested,
                returned: i64::from(offset),
            });
        }
        let has_next = page.links.as_ref().is_some_and(|l| l.contains_key("next"));
        if count == 0 && has_next {
            return Err(Error::EndlessNext { offset: requested });
        }
        self.take_new_sessions(page, requested)?;
        // A short page is the last one whatever `next` says: the seed example sends `next` on
        // a page of 1 with limit 30 (contract D10).
        if count < limit as usize || !has_next {
            self.done = true;
            return Ok(());
        }
        self.offset = u32::try_from(count)
            .ok()
            .and_then(|count| self.offset.checked_add(count))
            .filter(|next| i32::try_from(*next).is_ok())
            .ok_or(Error::EndlessNext { offset: requested })?;
        Ok(())
    }

    /// Keeps on `page` only the sessions not listed before: a leading run equal to the tail of
    /// the previous page (a shift) is skipped and counted; a page of nothing but sessions seen
    /// before is a loop; any other repeat is a paging fault. Then enforces the walk's bound.
    fn take_new_sessions(
        &mut self,
        page: &mut wire::JobSessionPage,
        offset: i64,
    ) -> Result<(), Error> {
        let ids: Vec<Uuid> = page.results.iter().map(|s| s.id).collect();
        if !ids.is_empty() && ids.iter().all(|id| self.seen.contains(id)) {
            return Err(Error::PageLoop {
                offset,
                count: ids.len(),
            });
        }
        let shifted = self.shifted_run(&ids);
        for id in &ids[shifted..] {
            if !self.seen.insert(*id) {
                return Err(Error::DuplicateSession { id: *id, offset });
            }
        }
        let listed = u64::try_from(self.seen.len()).unwrap_or(u64::MAX);
        if listed > self.max_sessions {
            return Err(Error::WalkLimit {
                limit: self.max_sessions,
            });
        }
        if shifted > 0 {
            log::debug!(
                "the page at offset {offset} begins with {shifted} session(s) that ended the previous page: the collection shifted (a session started during the walk); skipping them"
            );
            self.progress.repeats_skipped.fetch_add(
                u64::try_from(shifted).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            page.results.drain(..shifted);
        }
        if let Some(first) = ids.first() {
            self.previous = Some((self.offset, *first));
        }
        self.previous_ids = ids;
        Ok(())
    }

    /// How many sessions at the start of `ids` repeat, in order, the end of the previous page.
    /// The previous page holds no id twice, so the first id fixes where the run must start.
    fn shifted_run(&self, ids: &[Uuid]) -> usize {
        let Some(first) = ids.first() else {
            return 0;
        };
        let Some(start) = self.previous_ids.iter().position(|id| id == first) else {
            return 0;
        };
        let tail = &self.previous_ids[start..];
        if ids.len() >= tail.len() && ids[..tail.len()] == *tail {
            tail.len()
        } else {
            0
        }
    }
}
