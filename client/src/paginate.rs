//! Walking every page of a job's sessions, by `offset` and `limit` on the job's own collection.
//!
//! `_links.next` is read only as "more pages exist" (contract D10): the seed's own example
//! links out of the job's collection, and following it would list every job's sessions. The
//! walk ends on a short page or a page without `next`; a server that repeats a page, overfills
//! one, or sends empty pages that still promise more ends it with an error, never a loop.

use std::num::NonZeroU32;

use futures::{Stream, StreamExt, TryStreamExt, stream};
use uuid::Uuid;

use crate::client::Client;
use crate::error::Error;
use crate::wire;

/// Where a walk is.
struct Walk {
    client: Client,
    job_id: Uuid,
    limit: NonZeroU32,
    offset: u32,
    /// Offset and first session of the previous page, to notice a page served twice.
    previous: Option<(u32, Uuid)>,
    done: bool,
}

impl Client {
    /// Every session of the job, page after page, in the server's order (newest first).
    pub fn job_sessions(
        &self,
        job_id: Uuid,
    ) -> impl Stream<Item = Result<wire::JobSession, Error>> + Send + Unpin + 'static {
        self.pages(job_id)
            .map_ok(|page| stream::iter(page.results.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Every page of the job's sessions, [`Client::page_size`] sessions at a time.
    pub fn pages(
        &self,
        job_id: Uuid,
    ) -> impl Stream<Item = Result<wire::JobSessionPage, Error>> + Send + Unpin + 'static {
        let walk = Walk {
            client: self.clone(),
            job_id,
            limit: self.inner.page_size,
            offset: 0,
            previous: None,
            done: false,
        };
        stream::try_unfold(walk, |mut walk| async move {
            if walk.done {
                return Ok(None);
            }
            let page = walk
                .client
                .page(walk.job_id, walk.offset, walk.limit.get())
                .await?;
            walk.step(&page)?;
            Ok(Some((page, walk)))
        })
        .boxed()
    }
}

impl Walk {
    /// Judges `page` (the one at `self.offset`) and moves to the next one, or finishes.
    fn step(&mut self, page: &wire::JobSessionPage) -> Result<(), Error> {
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
        if let Some(first) = page.results.first() {
            self.previous = Some((self.offset, first.id));
        }
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
}
