//! The plan's own functions: three per-key steps over rows gathered in stream order (a meeting's
//! co-attendance, a thread's reply pairing, a pair's next-message pairing), the window each
//! increment goes to, and the pair accumulator (`om_pair`, an aggregate with update / state /
//! merge / evaluate). Each step's rules are the streaming path's (`aggregate::aggregate`),
//! applied to one key's rows; their increments are "deltas", rows of [`delta_fields`].

use crate::acc::{
    Acc, I_ANSWERED, I_ASK, I_CHANNEL, I_HELP, I_IGNORED, I_KIND, I_N, I_REQ, I_ROLE, I_UNANSWERED,
    Params, Trigger,
};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, BooleanArray, Float32Builder, Float64Builder,
    Int32Builder, Int64Builder, ListArray, StructArray, UInt64Builder,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Fields, Float32Type, Float64Type, Int32Type, Int64Type, UInt64Type,
};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, EmitTo, GroupsAccumulator,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Literal;
use std::sync::Arc;
use vocab::{Kind, MAX_ASK_TO, Role};

/// Columns of one increment (a "delta") to a pair's accumulator.
pub(crate) fn delta_fields() -> Fields {
    use DataType::*;
    let f = |name: &str, ty: DataType, nullable: bool| Field::new(name, ty, nullable);
    Fields::from(vec![
        // The time that decides the windows (`None`: undated, window `all` only).
        f("wt", Int64, true),
        // When the increment was made, for those the streaming path drops in closed windows.
        f("at_t", Int64, true),
        f("at_e", UInt64, true),
        f("a", Int32, false),
        f("b", Int32, false),
        // Stream order of the row that made it: (time or i64::MIN, event, run, position).
        f("ot", Int64, false),
        f("oe", UInt64, false),
        f("run", Int32, false),
        f("pos", Int32, false),
        f("n", Int32, false),
        f("weight", Float32, false),
        f("comm", Float32, false),
        f("meet", Float64, true),
        f("meet_s", Float64, false),
        f("kind", Int32, false),
        f("channel", Int32, false),
        f("role", Int32, false),
        f("w_req", Int32, false),
        f("w_help", Int32, false),
        f("ign", Int32, false),
        f("ask", Int32, false),
        f("ans", Int32, false),
        f("unans", Int32, false),
        // A paired reply: latency in seconds (as the streaming path rounds it, f32), when it
        // was asked, the asked and the answering kind, and how it paired (0 thread, 1 next).
        f("lat", Float32, true),
        f("ft", Int64, true),
        f("la", Int64, true),
        f("lk", Int32, false),
        f("rk", Int32, false),
        f("lp", Int32, false),
    ])
}

pub(crate) const DELTA_NAMES: [&str; 29] = [
    "wt", "at_t", "at_e", "a", "b", "ot", "oe", "run", "pos", "n", "weight", "comm", "meet",
    "meet_s", "kind", "channel", "role", "w_req", "w_help", "ign", "ask", "ans", "unans", "lat",
    "ft", "la", "lk", "rk", "lp",
];

/// One increment, before it becomes a row of [`delta_fields`].
#[derive(Debug, Clone, Copy)]
struct Delta {
    wt: Option<i64>,
    at: Option<Trigger>,
    a: u32,
    b: u32,
    ot: i64,
    oe: u64,
    run: i32,
    pos: i32,
    meet: Option<f64>,
    meet_s: f64,
    w_help: i32,
    ign: i32,
    ask: i32,
    ans: i32,
    unans: i32,
    lat: Option<f32>,
    la: Option<i64>,
    lk: i32,
    rk: i32,
    lp: i32,
}

impl Delta {
    fn at(row: &Row, wt: Option<i64>, a: u32, b: u32) -> Delta {
        Delta {
            wt,
            at: None,
            a,
            b,
            ot: row.t,
            oe: row.eid,
            run: row.run,
            pos: row.pos,
            meet: None,
            meet_s: 0.0,
            w_help: 0,
            ign: 0,
            ask: 0,
            ans: 0,
            unans: 0,
            lat: None,
            la: None,
            lk: -1,
            rk: -1,
            lp: -1,
        }
    }
}

/// One stored row as the per-key steps see it (fields of the gathered struct).
#[derive(Debug, Clone, Copy)]
struct Row {
    t: i64,
    dated: bool,
    eid: u64,
    run: i32,
    pos: i32,
    actor: u32,
    recipient: u32,
    role: Role,
    kind: Kind,
    irt: Option<u64>,
    dur: Option<i32>,
    meeting: bool,
    tprev: Option<i64>,
    parent: bool,
}

impl Row {
    fn time(&self) -> Option<i64> {
        self.dated.then_some(self.t)
    }
}

/// The step aggregates' row arguments, in order (then the parameters).
pub(crate) const ROW_NAMES: [&str; 14] = [
    "t",
    "dated",
    "eid",
    "run",
    "pos",
    "actor",
    "recipient",
    "role",
    "kind",
    "irt",
    "dur",
    "meeting",
    "tprev",
    "parent",
];

/// The gathered rows' columns (arguments of the step aggregates, in [`ROW_NAMES`] order).
fn rows_of(values: &[ArrayRef], n: usize, out: &mut dyn FnMut(usize, Row)) -> Result<()> {
    let t = values[0].as_primitive::<Int64Type>();
    let dated = values[1].as_boolean();
    let eid = values[2].as_primitive::<UInt64Type>();
    let run = values[3].as_primitive::<Int32Type>();
    let pos = values[4].as_primitive::<Int32Type>();
    let actor = values[5].as_primitive::<Int32Type>();
    let recipient = values[6].as_primitive::<Int32Type>();
    let role = values[7].as_primitive::<Int32Type>();
    let kind = values[8].as_primitive::<Int32Type>();
    let irt = values[9].as_primitive::<UInt64Type>();
    let dur = values[10].as_primitive::<Int32Type>();
    let meeting = values[11].as_boolean();
    let tprev = values[12].as_primitive::<Int64Type>();
    let parent = values[13].as_boolean();
    for j in 0..n {
        let role_code = role.value(j);
        let kind_code = kind.value(j);
        out(
            j,
            Row {
                t: t.value(j),
                dated: dated.value(j),
                eid: eid.value(j),
                run: run.value(j),
                pos: pos.value(j),
                actor: actor.value(j) as u32,
                recipient: recipient.value(j) as u32,
                role: Role::from_code(role_code as u8).ok_or_else(|| {
                    DataFusionError::Execution(format!("a stored row has role code {role_code}"))
                })?,
                kind: Kind::from_code(kind_code as u8).ok_or_else(|| {
                    DataFusionError::Execution(format!("a stored row has kind code {kind_code}"))
                })?,
                irt: irt.is_valid(j).then(|| irt.value(j)),
                dur: dur.is_valid(j).then(|| dur.value(j)),
                meeting: meeting.is_valid(j) && meeting.value(j),
                tprev: tprev.is_valid(j).then(|| tprev.value(j)),
                parent: parent.is_valid(j) && parent.value(j),
            },
        );
    }
    Ok(())
}

impl Row {
    const BYTES: usize = 8 + 1 + 8 + 4 + 4 + 4 + 4 + 1 + 1 + 9 + 5 + 1 + 9 + 1;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.t.to_le_bytes());
        out.push(u8::from(self.dated));
        out.extend_from_slice(&self.eid.to_le_bytes());
        out.extend_from_slice(&self.run.to_le_bytes());
        out.extend_from_slice(&self.pos.to_le_bytes());
        out.extend_from_slice(&self.actor.to_le_bytes());
        out.extend_from_slice(&self.recipient.to_le_bytes());
        out.push(self.role.code());
        out.push(self.kind.code());
        out.push(u8::from(self.irt.is_some()));
        out.extend_from_slice(&self.irt.unwrap_or(0).to_le_bytes());
        out.push(u8::from(self.dur.is_some()));
        out.extend_from_slice(&self.dur.unwrap_or(0).to_le_bytes());
        out.push(u8::from(self.meeting));
        out.push(u8::from(self.tprev.is_some()));
        out.extend_from_slice(&self.tprev.unwrap_or(0).to_le_bytes());
        out.push(u8::from(self.parent));
    }

    fn decode(b: &[u8]) -> Result<Row> {
        let bad = || DataFusionError::Internal("a gathered row is damaged".into());
        if b.len() != Row::BYTES {
            return Err(bad());
        }
        let i64_at = |at: usize| i64::from_le_bytes(b[at..at + 8].try_into().expect("8"));
        let i32_at = |at: usize| i32::from_le_bytes(b[at..at + 4].try_into().expect("4"));
        Ok(Row {
            t: i64_at(0),
            dated: b[8] != 0,
            eid: i64_at(9) as u64,
            run: i32_at(17),
            pos: i32_at(21),
            actor: i32_at(25) as u32,
            recipient: i32_at(29) as u32,
            role: Role::from_code(b[33]).ok_or_else(bad)?,
            kind: Kind::from_code(b[34]).ok_or_else(bad)?,
            irt: (b[35] != 0).then(|| i64_at(36) as u64),
            dur: (b[44] != 0).then(|| i32_at(45)),
            meeting: b[49] != 0,
            tprev: (b[50] != 0).then(|| i64_at(51)),
            parent: b[59] != 0,
        })
    }

    /// Stream order within a key: (time, event, parent copy last, run, position).
    fn order(&self) -> (i64, u64, bool, i32, i32) {
        (self.t, self.eid, self.parent, self.run, self.pos)
    }
}

fn deltas_to_list(per_key: Vec<Vec<Delta>>) -> ListArray {
    let total: usize = per_key.iter().map(Vec::len).sum();
    let mut wt = Int64Builder::with_capacity(total);
    let mut at_t = Int64Builder::with_capacity(total);
    let mut at_e = UInt64Builder::with_capacity(total);
    let mut ints: Vec<Int32Builder> = (0..4).map(|_| Int32Builder::with_capacity(total)).collect();
    let mut ot = Int64Builder::with_capacity(total);
    let mut oe = UInt64Builder::with_capacity(total);
    let mut n = Int32Builder::with_capacity(total);
    let mut weight = Float32Builder::with_capacity(total);
    let mut comm = Float32Builder::with_capacity(total);
    let mut meet = Float64Builder::with_capacity(total);
    let mut meet_s = Float64Builder::with_capacity(total);
    let mut counters: Vec<Int32Builder> =
        (0..9).map(|_| Int32Builder::with_capacity(total)).collect();
    let mut lat = Float32Builder::with_capacity(total);
    let mut ft = Int64Builder::with_capacity(total);
    let mut la = Int64Builder::with_capacity(total);
    let mut lks: Vec<Int32Builder> = (0..3).map(|_| Int32Builder::with_capacity(total)).collect();
    let mut offsets = Vec::with_capacity(per_key.len() + 1);
    offsets.push(0i32);
    for deltas in &per_key {
        for d in deltas {
            wt.append_option(d.wt);
            at_t.append_option(d.at.map(|a| a.0));
            at_e.append_option(d.at.map(|a| a.1));
            for (b, v) in ints.iter_mut().zip([d.a as i32, d.b as i32, d.run, d.pos]) {
                b.append_value(v);
            }
            ot.append_value(d.ot);
            oe.append_value(d.oe);
            n.append_value(0);
            weight.append_value(0.0);
            comm.append_value(0.0);
            meet.append_option(d.meet);
            meet_s.append_value(d.meet_s);
            // kind, channel, role, w_req, w_help, ign, ask, ans, unans
            for (b, v) in counters
                .iter_mut()
                .zip([-1, -1, -1, 0, d.w_help, d.ign, d.ask, d.ans, d.unans])
            {
                b.append_value(v);
            }
            lat.append_option(d.lat);
            ft.append_null();
            la.append_option(d.la);
            for (b, v) in lks.iter_mut().zip([d.lk, d.rk, d.lp]) {
                b.append_value(v);
            }
        }
        offsets.push(*offsets.last().expect("non-empty") + deltas.len() as i32);
    }
    let [a, b, run, pos]: [Int32Builder; 4] = ints.try_into().expect("four");
    let mut c = counters.into_iter();
    let mut next = || Arc::new(c.next().expect("counter").finish()) as ArrayRef;
    let (kind, channel, role, w_req, w_help, ign, ask, ans, unans) = (
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
    );
    let [lk, rk, lp]: [Int32Builder; 3] = lks.try_into().expect("three");
    let columns: Vec<ArrayRef> = vec![
        Arc::new(wt.finish()),
        Arc::new(at_t.finish()),
        Arc::new(at_e.finish()),
        Arc::new({ a }.finish()),
        Arc::new({ b }.finish()),
        Arc::new(ot.finish()),
        Arc::new(oe.finish()),
        Arc::new({ run }.finish()),
        Arc::new({ pos }.finish()),
        Arc::new(n.finish()),
        Arc::new(weight.finish()),
        Arc::new(comm.finish()),
        Arc::new(meet.finish()),
        Arc::new(meet_s.finish()),
        kind,
        channel,
        role,
        w_req,
        w_help,
        ign,
        ask,
        ans,
        unans,
        Arc::new(lat.finish()),
        Arc::new(ft.finish()),
        Arc::new(la.finish()),
        Arc::new({ lk }.finish()),
        Arc::new({ rk }.finish()),
        Arc::new({ lp }.finish()),
    ];
    let values = StructArray::new(delta_fields(), columns, None);
    ListArray::new(
        delta_item_field(),
        OffsetBuffer::new(offsets.into()),
        Arc::new(values),
        None,
    )
}

fn delta_item_field() -> FieldRef {
    Arc::new(Field::new("item", DataType::Struct(delta_fields()), true))
}

fn params_of(value: &ColumnarValue) -> Result<Params> {
    let text = match value {
        ColumnarValue::Scalar(ScalarValue::Utf8(Some(s))) => s.clone(),
        ColumnarValue::Array(a) if !a.is_empty() => a.as_string::<i32>().value(0).to_string(),
        _ => return exec_err!("the engine parameters must be a text literal"),
    };
    Params::decode(&text).map_err(DataFusionError::Execution)
}

/// Which per-key step a [`KeyStep`] function runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    /// One meeting event's rows (stream order): co-attendance of every two participants.
    Meeting,
    /// A thread parent's rows, then the rows that answer it (stream order).
    Thread,
    /// Both directions of one pair of people (stream order): next-message pairing.
    NextMessage,
}

/// `om_meeting(row columns..., params)` and the other steps: an aggregate that gathers its
/// group's rows, orders them as the stream does, and runs the step, giving the group's deltas.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct StepAggregate {
    step: Step,
    signature: Signature,
}

impl StepAggregate {
    pub(crate) fn udaf(step: Step) -> AggregateUDF {
        AggregateUDF::new_from_impl(StepAggregate {
            step,
            signature: Signature::any(ROW_NAMES.len() + 1, Volatility::Immutable),
        })
    }
}

impl AggregateUDFImpl for StepAggregate {
    fn name(&self) -> &str {
        match self.step {
            Step::Meeting => "om_meeting",
            Step::Thread => "om_thread",
            Step::NextMessage => "om_next_message",
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(delta_item_field()))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[rows]", args.name),
            DataType::Binary,
            true,
        ))])
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OneGroup(StepGroups::new(
            self.step,
            literal_params(&args)?,
        ))))
    }
    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }
    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(StepGroups::new(self.step, literal_params(&args)?)))
    }
}

/// Each group's rows, in arrival order until the step runs.
pub(crate) struct StepGroups {
    step: Step,
    params: Params,
    rows: Vec<Vec<Row>>,
    n_rows: usize,
}

impl std::fmt::Debug for StepGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StepGroups({:?}, {} groups)", self.step, self.rows.len())
    }
}

impl StepGroups {
    fn new(step: Step, params: Params) -> StepGroups {
        StepGroups {
            step,
            params,
            rows: Vec::new(),
            n_rows: 0,
        }
    }

    fn run(&self, mut rows: Vec<Row>) -> Vec<Delta> {
        rows.sort_unstable_by_key(Row::order);
        match self.step {
            Step::Meeting => meeting(&rows, &self.params),
            Step::Thread => thread(&rows, &self.params),
            Step::NextMessage => next_message(&rows, &self.params),
        }
    }
}

impl GroupsAccumulator for StepGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        if self.rows.len() < total_num_groups {
            self.rows.resize_with(total_num_groups, Vec::new);
        }
        let groups = &mut self.rows;
        let mut added = 0;
        rows_of(values, group_indices.len(), &mut |j, row| {
            if opt_filter.is_some_and(|f| !f.is_valid(j) || !f.value(j)) {
                return;
            }
            groups[group_indices[j]].push(row);
            added += 1;
        })?;
        self.n_rows += added;
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let groups = emit_to.take_needed(&mut self.rows);
        self.n_rows -= groups.iter().map(Vec::len).sum::<usize>().min(self.n_rows);
        let out: Vec<Vec<Delta>> = groups.into_iter().map(|rows| self.run(rows)).collect();
        Ok(Arc::new(deltas_to_list(out)))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let groups = emit_to.take_needed(&mut self.rows);
        self.n_rows -= groups.iter().map(Vec::len).sum::<usize>().min(self.n_rows);
        let mut out = BinaryBuilder::with_capacity(
            groups.len(),
            groups.iter().map(|g| g.len() * Row::BYTES).sum(),
        );
        let mut buf = Vec::new();
        for g in &groups {
            buf.clear();
            for r in g {
                r.encode(&mut buf);
            }
            out.append_value(&buf);
        }
        Ok(vec![Arc::new(out.finish())])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        if self.rows.len() < total_num_groups {
            self.rows.resize_with(total_num_groups, Vec::new);
        }
        let states = values[0].as_binary::<i32>();
        for (j, &g) in group_indices.iter().enumerate() {
            for chunk in states.value(j).chunks(Row::BYTES) {
                self.rows[g].push(Row::decode(chunk)?);
                self.n_rows += 1;
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        _values: &[ArrayRef],
        _opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        datafusion::common::not_impl_err!("the step aggregates do not convert rows to states")
    }

    fn size(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<Vec<Row>>()
            + self.n_rows * std::mem::size_of::<Row>()
    }
}

/// A step aggregate for one group (where DataFusion does not use groups).
#[derive(Debug)]
struct OneGroup(StepGroups);

impl Accumulator for OneGroup {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |v| v.len());
        self.0.update_batch(values, &vec![0; n], None, 1)
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        let list = self.0.evaluate(EmitTo::All)?;
        if list.is_empty() {
            return Ok(ScalarValue::List(Arc::new(deltas_to_list(
                vec![Vec::new()],
            ))));
        }
        ScalarValue::try_from_array(&list, 0)
    }
    fn size(&self) -> usize {
        self.0.size()
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let state = self.0.state(EmitTo::All)?;
        if state[0].is_empty() {
            return Ok(vec![ScalarValue::Binary(Some(Vec::new()))]);
        }
        Ok(vec![ScalarValue::try_from_array(&state[0], 0)?])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let n = states.first().map_or(0, |v| v.len());
        self.0.merge_batch(states, &vec![0; n], 1)
    }
}

/// Co-attendance in one meeting event: the organizer (the first row's actor) and every other
/// participant in row order; k participants add 1/(k−1) and the meeting's length to every
/// ordered pair, only organizer–attendee pairs when k exceeds the size limit.
fn meeting(rows: &[Row], params: &Params) -> Vec<Delta> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    let mut participants: Vec<u32> = vec![first.actor];
    for r in rows {
        if !participants.contains(&r.recipient) {
            participants.push(r.recipient);
        }
    }
    let k = participants.len();
    let mut out = Vec::new();
    if k < 2 {
        return out;
    }
    let duration = rows
        .iter()
        .filter_map(|r| r.dur.map(|d| d as u32))
        .max()
        .unwrap_or(0) as f64;
    let w = 1.0 / (k as f64 - 1.0);
    let large = k > params.max_meeting_size;
    for i in 0..k {
        for j in 0..k {
            if i == j || (large && i != 0 && j != 0) {
                continue;
            }
            let mut d = Delta::at(first, first.time(), participants[i], participants[j]);
            d.meet = Some(w);
            d.meet_s = duration;
            out.push(d);
        }
    }
    out
}

fn is_answer_kind(k: Kind) -> bool {
    matches!(k, Kind::Reply | Kind::Accept)
}

/// Thread pairing for one event and its answers. The event (its first row's actor and kind)
/// stays answerable until the first group more than the reply window after it; an answer pairs
/// while the group before it (`tprev`) is within the window. A request To k people stays open
/// for each until they answer; an ask (a thread-opening message To at most `MAX_ASK_TO`) is
/// decided by the answer or at expiry, in the ask's windows.
fn thread(rows: &[Row], params: &Params) -> Vec<Delta> {
    struct Sent {
        time: i64,
        actor: u32,
        kind: Kind,
        eid: u64,
        open_requests: Vec<u32>,
        open_asks: Vec<u32>,
        row: Row,
    }
    let w = params.reply_window_ms;
    let mut out = Vec::new();
    let mut sent: Option<Sent> = None;
    let mut i = 0;
    while i < rows.len() {
        let r = rows[i];
        if r.parent {
            // The whole group of the parent event.
            let mut j = i;
            while j < rows.len() && rows[j].parent && rows[j].t == r.t && rows[j].eid == r.eid {
                j += 1;
            }
            let group = &rows[i..j];
            i = j;
            if !r.dated {
                continue;
            }
            if let Some(old) = sent.take() {
                expire(
                    old.time,
                    old.actor,
                    &old.open_requests,
                    &old.open_asks,
                    &old.row,
                    params,
                    &mut out,
                );
            }
            let to: Vec<u32> = group
                .iter()
                .filter(|x| x.role == Role::To && x.recipient != x.actor)
                .map(|x| x.recipient)
                .collect();
            let open_requests = if r.kind == Kind::Request {
                to.clone()
            } else {
                Vec::new()
            };
            let ask = r.irt.is_none()
                && !r.meeting
                && !matches!(
                    r.kind,
                    Kind::Reply | Kind::Accept | Kind::Decline | Kind::Meeting | Kind::Tie
                )
                && !to.is_empty()
                && to.len() <= MAX_ASK_TO;
            sent = Some(Sent {
                time: r.t,
                actor: r.actor,
                kind: r.kind,
                eid: r.eid,
                open_requests,
                open_asks: if ask { to } else { Vec::new() },
                row: r,
            });
            continue;
        }
        i += 1;
        let (a, b) = (r.actor, r.recipient);
        if !r.dated || a == b || r.role == Role::Organizer {
            continue;
        }
        let Some(s) = sent.as_mut() else { continue };
        let t = r.t;
        let live = r.tprev.is_some_and(|tp| tp - s.time <= w);
        if !(live && s.actor == b && s.time <= t && (s.time, s.eid) < (r.t, r.eid)) {
            continue;
        }
        let was_open = match s.open_requests.iter().position(|&x| x == a) {
            Some(k) => {
                s.open_requests.swap_remove(k);
                true
            }
            None => false,
        };
        if let Some(k) = s.open_asks.iter().position(|&x| x == a) {
            s.open_asks.swap_remove(k);
            let mut d = Delta::at(&r, Some(s.time), a, b);
            d.ans = 1;
            out.push(d);
            let mut d = Delta::at(&r, Some(s.time), b, a);
            d.ask = 1;
            out.push(d);
        }
        if was_open || s.kind != Kind::Request {
            let mut d = Delta::at(&r, Some(t), a, b);
            d.lat = Some(((t - s.time) as f64 / 1000.0) as f32);
            d.w_help = i32::from(was_open && is_answer_kind(r.kind));
            d.la = Some(s.time);
            d.lk = s.kind.code() as i32;
            d.rk = r.kind.code() as i32;
            d.lp = 0;
            out.push(d);
        }
    }
    if let Some(s) = sent {
        expire(
            s.time,
            s.actor,
            &s.open_requests,
            &s.open_asks,
            &s.row,
            params,
            &mut out,
        );
    }
    out
}

/// What is still open of an event when its reply window closes (if the data goes on that
/// long): each recipient still open on a request ignored it, each still open on an ask left it
/// unanswered, in the event's windows.
fn expire(
    time: i64,
    actor: u32,
    ignored: &[u32],
    unanswered: &[u32],
    row: &Row,
    params: &Params,
    out: &mut Vec<Delta>,
) {
    let expired = params
        .max_time
        .is_some_and(|end| end - time > params.reply_window_ms);
    if !expired {
        return;
    }
    for &r in ignored {
        let mut d = Delta::at(row, Some(time), r, actor);
        d.ign = 1;
        out.push(d);
    }
    for &r in unanswered {
        let mut d = Delta::at(row, Some(time), r, actor);
        d.unans = 1;
        out.push(d);
        let mut d = Delta::at(row, Some(time), actor, r);
        d.ask = 1;
        out.push(d);
    }
}

/// Next-message pairing for one pair of people: a message a→b answers the earliest unanswered
/// message b→a if within the reply window (else b's earliest request still within it); a
/// request answered too late was ignored (counted in the request's windows, unless the
/// streaming path had closed that window by then).
fn next_message(rows: &[Row], params: &Params) -> Vec<Delta> {
    #[derive(Clone, Copy)]
    struct Open {
        first: i64,
        kind: Kind,
        request: Option<i64>,
    }
    let w = params.reply_window_ms;
    let mut out = Vec::new();
    // Open messages by direction: [low→high, high→low].
    let mut open: [Option<Open>; 2] = [None, None];
    let mut pair: Option<(u32, u32)> = None;
    let mut last: Option<Row> = None;
    for r in rows {
        let (a, b) = (r.actor, r.recipient);
        if !r.dated || a == b || r.role == Role::Organizer {
            continue;
        }
        let (lo, _) = *pair.get_or_insert((a.min(b), a.max(b)));
        let dir = usize::from(a != lo);
        let t = r.t;
        let mut answered: Option<(i64, Kind)> = None;
        let mut fulfils = false;
        if let Some(o) = open[1 - dir].take() {
            let in_time = |t0: i64| t - t0 <= w;
            fulfils = o.request.is_some_and(in_time);
            if in_time(o.first) {
                answered = Some((o.first, o.kind));
            } else if let Some(tr) = o.request.filter(|&tr| in_time(tr)) {
                answered = Some((tr, Kind::Request));
            }
            if let Some(tr) = o.request.filter(|&tr| !in_time(tr)) {
                let mut d = Delta::at(r, Some(tr), a, b);
                d.ign = 1;
                d.at = Some((r.t, r.eid));
                out.push(d);
            }
        }
        let o = open[dir].get_or_insert(Open {
            first: t,
            kind: r.kind,
            request: None,
        });
        if r.kind == Kind::Request && o.request.is_none() {
            o.request = Some(t);
        }
        if let Some((asked, asked_kind)) = answered {
            let mut d = Delta::at(r, Some(t), a, b);
            d.lat = Some(((t - asked) as f64 / 1000.0) as f32);
            d.w_help = i32::from(fulfils && is_answer_kind(r.kind));
            d.la = Some(asked);
            d.lk = asked_kind.code() as i32;
            d.rk = r.kind.code() as i32;
            d.lp = 1;
            out.push(d);
        } else if r.kind == Kind::Accept {
            let mut d = Delta::at(r, Some(t), a, b);
            d.w_help = 1;
            out.push(d);
        }
        last = Some(*r);
    }
    // Requests still open at the end were ignored if they had the whole window.
    if let (Some((lo, hi)), Some(row)) = (pair, last) {
        for (dir, o) in open.iter().enumerate() {
            let Some(t0) = o.and_then(|o| o.request) else {
                continue;
            };
            if params.max_time.is_some_and(|end| end - t0 > w) {
                let (asker, target) = if dir == 0 { (lo, hi) } else { (hi, lo) };
                let mut d = Delta::at(&row, Some(t0), target, asker);
                d.ign = 1;
                d.at = Some((i64::MAX, u64::MAX));
                out.push(d);
            }
        }
    }
    out
}

/// `om_windows(wt, at_t, at_e, params)`: the codes of the windows an increment goes to.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct WindowsOf {
    signature: Signature,
}

impl WindowsOf {
    pub(crate) fn udf() -> ScalarUDF {
        ScalarUDF::new_from_impl(WindowsOf {
            signature: Signature::any(4, Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for WindowsOf {
    fn name(&self) -> &str {
        "om_windows"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Int64,
            true,
        ))))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let params = params_of(&args.args[3])?;
        let n = args.number_rows;
        let arr = |v: &ColumnarValue| v.to_array(n);
        let wt = arr(&args.args[0])?;
        let at_t = arr(&args.args[1])?;
        let at_e = arr(&args.args[2])?;
        let wt = wt.as_primitive::<Int64Type>();
        let at_t = at_t.as_primitive::<Int64Type>();
        let at_e = at_e.as_primitive::<UInt64Type>();
        let mut values = Int64Builder::with_capacity(n * 2);
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0i32);
        let mut buf = Vec::new();
        for i in 0..n {
            let t = wt.is_valid(i).then(|| wt.value(i));
            let at = at_t.is_valid(i).then(|| (at_t.value(i), at_e.value(i)));
            params.windows_of(t, at, &mut buf);
            values.append_slice(&buf);
            offsets.push(offsets[i] + buf.len() as i32);
        }
        let list = ListArray::new(
            Arc::new(Field::new("item", DataType::Int64, true)),
            OffsetBuffer::new(offsets.into()),
            Arc::new(values.finish()),
            None,
        );
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}

/// Arguments of `om_pair`, in order.
pub(crate) const PAIR_ARGS: [&str; 19] = [
    "win", "ot", "oe", "n", "weight", "comm", "meet", "meet_s", "kind", "channel", "role", "w_req",
    "w_help", "ign", "ask", "ans", "unans", "lat", "ft",
];

/// `om_pair(win, ot, oe, n, ..., ft, params)`: a pair's accumulator in one window, finished as
/// the bytes of its row ([`crate::acc::PairRow`]).
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct PairAggregate {
    signature: Signature,
}

impl PairAggregate {
    pub(crate) fn udaf() -> AggregateUDF {
        AggregateUDF::new_from_impl(PairAggregate {
            signature: Signature::any(PAIR_ARGS.len() + 1, Volatility::Immutable),
        })
    }
}

fn literal_params(args: &AccumulatorArgs) -> Result<Params> {
    let last = args
        .exprs
        .last()
        .ok_or_else(|| DataFusionError::Internal("om_pair without arguments".into()))?;
    let any: &dyn std::any::Any = last.as_ref();
    match any.downcast_ref::<Literal>().map(|l| l.value()) {
        Some(ScalarValue::Utf8(Some(s))) => {
            Params::decode(s.as_str()).map_err(DataFusionError::Execution)
        }
        _ => exec_err!("om_pair's parameters must be a text literal"),
    }
}

impl AggregateUDFImpl for PairAggregate {
    fn name(&self) -> &str {
        "om_pair"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[win]", args.name),
                DataType::Int64,
                true,
            )),
            Arc::new(Field::new(
                format!("{}[acc]", args.name),
                DataType::Binary,
                true,
            )),
        ])
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OnePair {
            groups: PairGroups::new(literal_params(&args)?),
        }))
    }
    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }
    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(PairGroups::new(literal_params(&args)?)))
    }
}

/// Accumulators by group, and each group's window code.
pub(crate) struct PairGroups {
    params: Params,
    accs: Vec<Acc>,
    windows: Vec<i64>,
    /// The accumulators' heap bytes, kept as they change: DataFusion asks for the size after
    /// every batch, and summing it over millions of groups each time was half of a run's
    /// CPU at M.
    heap: usize,
}

/// An accumulator's bytes beyond its own struct.
fn heap_of(acc: &Acc) -> usize {
    acc.size() - std::mem::size_of::<Acc>()
}

impl std::fmt::Debug for PairGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PairGroups({} groups)", self.accs.len())
    }
}

impl PairGroups {
    fn new(params: Params) -> PairGroups {
        PairGroups {
            params,
            accs: Vec::new(),
            windows: Vec::new(),
            heap: 0,
        }
    }

    /// Takes the groups `emit_to` asks for, with their window codes.
    fn take(&mut self, emit_to: EmitTo) -> (Vec<Acc>, Vec<i64>) {
        let accs = emit_to.take_needed(&mut self.accs);
        let wins = emit_to.take_needed(&mut self.windows);
        self.heap -= accs.iter().map(heap_of).sum::<usize>();
        (accs, wins)
    }

    fn grow(&mut self, total: usize) {
        if self.accs.len() < total {
            self.accs.resize_with(total, Acc::default);
            self.windows.resize(total, 0);
        }
    }

    fn finish(&self, acc: Acc, win: i64) -> Result<Vec<u8>> {
        let window = self
            .params
            .window(win)
            .ok_or_else(|| DataFusionError::Internal(format!("unknown window code {win}")))?;
        let fold = self.params.fold().map(|(_, part)| &self.params.specs[part]);
        let row = acc
            .finish(window, fold)
            .map_err(DataFusionError::Execution)?;
        let mut bytes = Vec::with_capacity(256);
        row.encode(&mut bytes);
        Ok(bytes)
    }
}

impl GroupsAccumulator for PairGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let i64s = |k: usize| values[k].as_primitive::<Int64Type>();
        let i32s = |k: usize| values[k].as_primitive::<Int32Type>();
        let (win, ot, oe) = (i64s(0), i64s(1), values[2].as_primitive::<UInt64Type>());
        let n = i32s(3);
        let weight = values[4].as_primitive::<Float32Type>();
        let comm = values[5].as_primitive::<Float32Type>();
        let meet = values[6].as_primitive::<Float64Type>();
        let meet_s = values[7].as_primitive::<Float64Type>();
        let (kind, channel, role) = (i32s(8), i32s(9), i32s(10));
        let (w_req, w_help, ign, ask, ans, unans) =
            (i32s(11), i32s(12), i32s(13), i32s(14), i32s(15), i32s(16));
        let lat = values[17].as_primitive::<Float32Type>();
        let ft = i64s(18);
        for (row, &g) in group_indices.iter().enumerate() {
            if opt_filter.is_some_and(|f| !f.is_valid(row) || !f.value(row)) {
                continue;
            }
            self.windows[g] = win.value(row);
            let acc = &mut self.accs[g];
            let before = heap_of(acc);
            acc.ints[I_N] += n.value(row) as u32;
            acc.weight.add_f32(weight.value(row));
            acc.communication.add_f32(comm.value(row));
            if meet.is_valid(row) {
                acc.meetings
                    .push((ot.value(row), oe.value(row), meet.value(row)));
            }
            acc.meeting_s += meet_s.value(row) as u64;
            for (base, v) in [
                (I_KIND, kind.value(row)),
                (I_CHANNEL, channel.value(row)),
                (I_ROLE, role.value(row)),
            ] {
                if v >= 0 {
                    acc.ints[base + v as usize] += 1;
                }
            }
            for (at, v) in [
                (I_REQ, w_req.value(row)),
                (I_HELP, w_help.value(row)),
                (I_IGNORED, ign.value(row)),
                (I_ASK, ask.value(row)),
                (I_ANSWERED, ans.value(row)),
                (I_UNANSWERED, unans.value(row)),
            ] {
                acc.ints[at] += v as u32;
            }
            if lat.is_valid(row) {
                acc.latencies.push(lat.value(row));
            }
            if ft.is_valid(row) {
                let t = ft.value(row);
                acc.first = acc.first.min(t);
                acc.last = acc.last.max(t);
            }
            self.heap = self.heap + heap_of(acc) - before;
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (accs, wins) = self.take(emit_to);
        let mut out = BinaryBuilder::with_capacity(accs.len(), accs.len() * 200);
        for (acc, win) in accs.into_iter().zip(wins) {
            out.append_value(self.finish(acc, win)?);
        }
        Ok(Arc::new(out.finish()))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (accs, wins) = self.take(emit_to);
        let mut out = BinaryBuilder::with_capacity(accs.len(), accs.len() * 200);
        let mut buf = Vec::new();
        for acc in &accs {
            buf.clear();
            acc.encode(&mut buf);
            out.append_value(&buf);
        }
        Ok(vec![
            Arc::new(datafusion::arrow::array::Int64Array::from(wins)),
            Arc::new(out.finish()),
        ])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let wins = values[0].as_primitive::<Int64Type>();
        let accs = values[1].as_binary::<i32>();
        for (row, &g) in group_indices.iter().enumerate() {
            self.windows[g] = wins.value(row);
            let other = Acc::decode(accs.value(row));
            let acc = &mut self.accs[g];
            let before = heap_of(acc);
            acc.merge(&other);
            self.heap = self.heap + heap_of(acc) - before;
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        _values: &[ArrayRef],
        _opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        datafusion::common::not_impl_err!("om_pair does not convert rows to states")
    }

    fn size(&self) -> usize {
        self.accs.capacity() * std::mem::size_of::<Acc>() + self.heap + self.windows.capacity() * 8
    }
}

/// The same accumulator for one group (DataFusion asks for it where groups do not apply).
#[derive(Debug)]
struct OnePair {
    groups: PairGroups,
}

impl Accumulator for OnePair {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |v| v.len());
        self.groups.update_batch(values, &vec![0; n], None, 1)
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.groups.grow(1);
        let acc = std::mem::take(&mut self.groups.accs[0]);
        self.groups.heap -= heap_of(&acc);
        let bytes = self.groups.finish(acc, self.groups.windows[0])?;
        Ok(ScalarValue::Binary(Some(bytes)))
    }
    fn size(&self) -> usize {
        self.groups.size()
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.groups.grow(1);
        let mut buf = Vec::new();
        self.groups.accs[0].encode(&mut buf);
        Ok(vec![
            ScalarValue::Int64(Some(self.groups.windows[0])),
            ScalarValue::Binary(Some(buf)),
        ])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let n = states.first().map_or(0, |v| v.len());
        self.groups.merge_batch(states, &vec![0; n], 1)
    }
}

/// `om_previous(t, eid)`: over all dated events, each event's (time, event) with the time of the
/// event before it in stream order (null for the first): what a window `lag(t) OVER (ORDER BY
/// t, eid)` gives, as one aggregate group (Ballista runs it where a global window does not).
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct PreviousAggregate {
    signature: Signature,
}

impl PreviousAggregate {
    pub(crate) fn udaf() -> AggregateUDF {
        AggregateUDF::new_from_impl(PreviousAggregate {
            signature: Signature::any(2, Volatility::Immutable),
        })
    }
}

fn previous_item() -> FieldRef {
    Arc::new(Field::new(
        "item",
        DataType::Struct(Fields::from(vec![
            Field::new("p_t", DataType::Int64, false),
            Field::new("p_e", DataType::UInt64, false),
            Field::new("tprev", DataType::Int64, true),
        ])),
        true,
    ))
}

impl AggregateUDFImpl for PreviousAggregate {
    fn name(&self) -> &str {
        "om_previous"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(previous_item()))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[events]", args.name),
            DataType::Binary,
            true,
        ))])
    }
    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Previous(Vec::new())))
    }
}

#[derive(Debug)]
struct Previous(Vec<(i64, u64)>);

impl Accumulator for Previous {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let t = values[0].as_primitive::<Int64Type>();
        let e = values[1].as_primitive::<UInt64Type>();
        self.0
            .extend((0..t.len()).map(|i| (t.value(i), e.value(i))));
        Ok(())
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.0.sort_unstable();
        self.0.dedup();
        let n = self.0.len();
        let mut pt = Int64Builder::with_capacity(n);
        let mut pe = UInt64Builder::with_capacity(n);
        let mut prev = Int64Builder::with_capacity(n);
        let mut last: Option<i64> = None;
        for &(t, e) in &self.0 {
            pt.append_value(t);
            pe.append_value(e);
            prev.append_option(last);
            last = Some(t);
        }
        let DataType::Struct(fields) = previous_item().data_type().clone() else {
            unreachable!("a struct")
        };
        let values = StructArray::new(
            fields,
            vec![
                Arc::new(pt.finish()),
                Arc::new(pe.finish()),
                Arc::new(prev.finish()),
            ],
            None,
        );
        let list = ListArray::new(
            previous_item(),
            OffsetBuffer::new(vec![0i32, n as i32].into()),
            Arc::new(values),
            None,
        );
        Ok(ScalarValue::List(Arc::new(list)))
    }
    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + self.0.capacity() * 16
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let mut buf = Vec::with_capacity(self.0.len() * 16);
        for (t, e) in &self.0 {
            buf.extend_from_slice(&t.to_le_bytes());
            buf.extend_from_slice(&e.to_le_bytes());
        }
        Ok(vec![ScalarValue::Binary(Some(buf))])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let b = states[0].as_binary::<i32>();
        for i in 0..b.len() {
            for c in b.value(i).chunks_exact(16) {
                self.0.push((
                    i64::from_le_bytes(c[..8].try_into().expect("8")),
                    u64::from_le_bytes(c[8..].try_into().expect("8")),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Float32Array, Float64Array, Int32Array, Int64Array, UInt64Array,
    };

    fn params() -> Params {
        Params {
            specs: vec![vocab::WindowSpec::All],
            reply_window_ms: 5,
            max_meeting_size: 50,
            max_time: None,
            triggers: vec![],
        }
    }

    /// What `size` summed over every group before it was kept as groups change.
    fn recount(g: &PairGroups) -> usize {
        g.accs.capacity() * std::mem::size_of::<Acc>()
            + g.accs.iter().map(heap_of).sum::<usize>()
            + g.windows.capacity() * 8
    }

    /// A batch of `om_pair` arguments: row `i` goes to group `groups[i]`, with a meeting and a
    /// latency on some rows (the accumulator parts that own heap memory).
    fn batch(rows: usize, seed: u64) -> Vec<ArrayRef> {
        let bit =
            |i: usize, k: u64| (seed.wrapping_mul(31).wrapping_add(i as u64 * 7 + k)) % 3 == 0;
        let i64s = |v: i64| Arc::new(Int64Array::from(vec![v; rows])) as ArrayRef;
        let i32s = |v: i32| Arc::new(Int32Array::from(vec![v; rows])) as ArrayRef;
        let f32s = |v: f32| Arc::new(Float32Array::from(vec![v; rows])) as ArrayRef;
        vec![
            i64s(0),
            i64s(10),
            Arc::new(UInt64Array::from(vec![3u64; rows])),
            i32s(1),
            f32s(1.0),
            f32s(1.0),
            Arc::new(Float64Array::from(
                (0..rows)
                    .map(|i| bit(i, 1).then_some(0.5))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(vec![0.0; rows])),
            i32s(0),
            i32s(0),
            i32s(0),
            i32s(0),
            i32s(0),
            i32s(0),
            i32s(0),
            i32s(0),
            i32s(0),
            Arc::new(Float32Array::from(
                (0..rows)
                    .map(|i| bit(i, 2).then_some(2.0f32))
                    .collect::<Vec<_>>(),
            )),
            i64s(10),
        ]
    }

    #[test]
    fn pair_groups_keep_their_size_as_groups_change() {
        let mut g = PairGroups::new(params());
        let mut other = PairGroups::new(params());
        let mut total = 0;
        for round in 0..12u64 {
            let rows = 50 + (round as usize * 37) % 90;
            total = total.max(5 + round as usize * 3);
            let groups: Vec<usize> = (0..rows)
                .map(|i| (i * 13 + round as usize) % total)
                .collect();
            g.update_batch(&batch(rows, round), &groups, None, total)
                .unwrap();
            assert_eq!(g.size(), recount(&g), "after update {round}");
            other
                .update_batch(&batch(rows, round + 100), &groups, None, total)
                .unwrap();
            // Merging another's states, as a final aggregation does.
            let states = other.state(EmitTo::First(total / 2)).unwrap();
            let n = states[0].len();
            let into: Vec<usize> = (0..n).map(|i| (i * 5) % total).collect();
            g.merge_batch(&states, &into, total).unwrap();
            assert_eq!(g.size(), recount(&g), "after merge {round}");
            assert_eq!(other.size(), recount(&other), "after state {round}");
            if round % 4 == 3 {
                let k = total / 3;
                g.evaluate(EmitTo::First(k)).unwrap();
                total -= k;
                assert_eq!(g.size(), recount(&g), "after evaluate {round}");
            }
            other = PairGroups::new(params());
        }
        assert!(g.heap > 0, "the test must reach heap memory");
        g.evaluate(EmitTo::All).unwrap();
        assert_eq!(g.heap, 0);
    }
}
