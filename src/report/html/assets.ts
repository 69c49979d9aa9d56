/** The page's one stylesheet and one script, inline (nothing is fetched; system fonts only). */

export const STYLE = `
:root{--pass:#15803d;--warn:#b45309;--fail:#dc2626;--skip:#6b7280;--mtu:#9333ea;--unknown:#9ca3af;--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#fff;--soft:#f9fafb}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1500px;padding:16px 24px 48px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:0}
pre{font:12px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all;margin:4px 0;background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:6px 8px}
a{color:#1d4ed8}
.muted{color:var(--muted)}
.verdict{font-size:17px;font-weight:600;margin:4px 0 8px}.v-pass{color:var(--pass)}.v-warn{color:var(--warn)}.v-fail{color:var(--fail)}
.meta{display:flex;flex-wrap:wrap;gap:4px 20px;margin:0;color:#374151}.meta div{display:flex;gap:6px}.meta dt{color:var(--muted)}.meta dd{margin:0}
nav{margin:10px 0;color:var(--muted)}
.ok-line{color:var(--pass);font-weight:600}
.rootcause{border:1px solid #fecaca;border-left:5px solid var(--fail);background:#fef2f2;border-radius:6px;padding:10px 14px;margin:10px 0}
.rootcause h3 .num,.cluster-roots .num{background:var(--fail);color:#fff;border-radius:10px;padding:0 7px;font-size:13px}
.rootcause .tag{color:var(--muted);margin:2px 0 6px;font-size:12px}
.rootcause .fix pre{background:#fff}
.k{color:var(--muted);display:inline-block;min-width:64px}
.kv,.why,.summary,.note,.metrics{margin:3px 0}.metrics span{color:var(--muted);font-size:12px;margin-right:6px}
details>summary{cursor:pointer}
.explains ul{margin:4px 0;padding-left:18px;list-style:none}.explains li{margin:1px 0}
.id{color:var(--muted);font-size:12px}
.sym{display:inline-block;width:1em;text-align:center;font-weight:700}
.st-pass .sym{color:var(--pass)}.st-warn .sym{color:var(--warn)}.st-fail .sym,.st-error .sym{color:var(--fail)}.st-skip .sym{color:var(--skip)}
.cluster-roots{padding-left:0;list-style:none}.cluster-roots li{margin:2px 0}
.mapgrid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.mapbox{flex:0 1 auto;min-width:320px}.mapbox.wide{flex:1 1 560px}.matrixbox{flex:0 1 auto;overflow:auto;max-width:100%}
svg.map{max-width:100%;height:auto;max-height:86vh;display:block;background:var(--soft);border:1px solid var(--line);border-radius:8px}
svg.map text{font:13px system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;fill:var(--ink)}
svg.map.compact{width:100%}svg.map.compact text{font-size:17px}
svg.map .link line{stroke-width:3}
svg.map .l-ok line{stroke:var(--pass)}svg.map.compact .l-ok line{stroke-width:1;opacity:.28}
svg.map .l-fail line{stroke:var(--fail);stroke-width:4;stroke-dasharray:10 6}
svg.map .l-mtu line{stroke:var(--mtu);stroke-width:4;stroke-dasharray:3 5}
svg.map .l-degraded line{stroke:var(--warn);stroke-dasharray:8 4}
svg.map .l-unknown line{stroke:var(--unknown);stroke-width:1.5;stroke-dasharray:2 6}
svg.map.compact .l-fail line,svg.map.compact .l-mtu line{stroke-width:2.5}
svg.map .link rect.lbl{fill:#fff;stroke:var(--line)}
svg.map .l-fail text{fill:var(--fail);font-weight:700}svg.map .l-mtu text{fill:var(--mtu);font-weight:700}
svg.map .card{fill:#fff;stroke:#9ca3af;stroke-width:1.5}
svg.map .node text.name{font-weight:700;font-size:15px}
svg.map .node text.role{fill:#1d4ed8;font-weight:700;font-size:12px}
svg.map .node text.bad{fill:var(--fail);font-weight:600}
svg.map .node text.state{fill:var(--fail);font-weight:800;letter-spacing:.06em}
svg.map .node.w-warn .card{stroke:var(--warn)}
svg.map .node.root .card{stroke:var(--fail);stroke-width:3}
svg.map .node.cut-off .card,svg.map .node.unreachable .card{fill:#fef2f2;stroke:var(--fail);stroke-width:3;stroke-dasharray:9 5}
svg.map .node.involved .card{stroke:var(--fail);stroke-dasharray:4 4}
svg.map .dot{fill:var(--pass);stroke:#fff;stroke-width:2}
svg.map .node.w-warn .dot{fill:var(--warn)}svg.map .node.w-fail .dot,svg.map .node.w-error .dot{fill:#f87171}
svg.map .ring{fill:#fff;stroke:var(--fail);stroke-width:3;stroke-dasharray:5 3}
svg.map .node.dhcp .dot{stroke:#1d4ed8;stroke-width:4}
svg.map .node.root .dot{fill:var(--fail);r:13}
svg.map .node.cut-off .dot,svg.map .node.unreachable .dot{fill:var(--fail)}
svg.map.compact .node.cut-off text,svg.map.compact .node.unreachable text,svg.map.compact .node.root text{fill:var(--fail);font-weight:700}
svg.map .badge rect{fill:var(--fail)}svg.map .badge text{fill:#fff;font-weight:700;font-size:13px}
.legend{color:#374151;font-size:13px;margin:8px 0}.chip{display:inline-block;width:22px;height:0;border-top:3px solid;vertical-align:middle;margin:0 2px 0 8px}
.chip.l-ok{border-color:var(--pass)}.chip.l-fail{border-top:3px dashed var(--fail)}.chip.l-mtu{border-top:3px dotted var(--mtu)}.chip.l-degraded{border-top:3px dashed var(--warn)}.chip.l-unknown{border-top:2px dotted var(--unknown)}
.badge-ex{background:var(--fail);color:#fff;border-radius:9px;padding:0 6px;font-weight:700}.cut-ex{color:var(--fail);font-weight:800;border:1px dashed var(--fail);padding:0 4px}
table{border-collapse:collapse}
.matrix caption{text-align:left;color:var(--muted);font-size:12px;padding-bottom:4px}
.matrix th,.matrix td{border:1px solid var(--line);padding:4px 6px;text-align:center;font-size:12px;white-space:nowrap}
.matrix th[scope=row]{text-align:right}
.matrix.dense th,.matrix.dense td{padding:0 1px;font-size:10px;min-width:14px;height:15px;line-height:13px}
.matrix.dense th.col span{writing-mode:vertical-rl;transform:rotate(180deg);display:inline-block;max-height:110px}
.matrix td.self{background:#f3f4f6}
.matrix td.c-ok{background:#dcfce7;color:#166534}.matrix td.c-fail{background:#fecaca;color:#991b1b;font-weight:700}
.matrix td.c-mtu{background:#f3e8ff;color:#6b21a8;font-weight:700}.matrix td.c-degraded{background:#fef3c7;color:#92400e}.matrix td.c-unknown{background:#f9fafb;color:var(--muted)}
table.hosts{margin-top:14px;width:100%}
table.hosts th,table.hosts td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}
table.hosts tr.cut-off td,table.hosts tr.unreachable td,table.hosts tr.root td{background:#fef2f2}
.filters{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0 12px}
.filters button{font:inherit;border:1px solid #d1d5db;background:#fff;border-radius:14px;padding:2px 10px;cursor:pointer}
.filters button[aria-pressed=false]{opacity:.45;text-decoration:line-through}
.filters button:disabled{opacity:.35;cursor:default}
.group{margin:10px 0 14px}.group h3{font-size:15px;margin:14px 0 4px}
.chk{border-bottom:1px solid #f3f4f6;padding:2px 0}
.chk>summary{padding:2px 4px;border-radius:4px}.chk>summary:hover{background:var(--soft)}
.chk .body{padding:2px 0 8px 26px}
.chk.st-fail>summary,.chk.st-error>summary{color:#7f1d1d}
.ptr{font-size:12px;color:var(--fail);margin-left:4px}.ptr.root{font-weight:700}
body.hide-pass .chk.st-pass,body.hide-warn .chk.st-warn,body.hide-fail .chk.st-fail,body.hide-error .chk.st-error,body.hide-skip .chk.st-skip{display:none}
.group.empty{display:none}
.timeline ul{padding-left:18px}
footer{margin-top:32px;color:var(--muted);font-size:12px}
@media print{.filters{display:none}details{open:true}}
`;

/** Status filters and expand/collapse; groups with nothing shown are hidden. Plain DOM, no framework. */
export const SCRIPT = `(function(){
var body=document.body;
function refresh(){
  document.querySelectorAll('section.group').forEach(function(g){
    var shown=false;
    g.querySelectorAll('.chk').forEach(function(c){
      if(!body.classList.contains('hide-'+c.getAttribute('data-status')))shown=true;
    });
    g.classList.toggle('empty',!shown&&g.querySelector('.chk')!==null);
  });
}
document.querySelectorAll('button[data-filter]').forEach(function(b){
  b.addEventListener('click',function(){
    var hidden=body.classList.toggle('hide-'+b.getAttribute('data-filter'));
    b.setAttribute('aria-pressed',hidden?'false':'true');
    refresh();
  });
});
document.querySelectorAll('button[data-expand]').forEach(function(b){
  b.addEventListener('click',function(){
    var open=b.getAttribute('data-expand')==='1';
    document.querySelectorAll('#checks details.chk').forEach(function(d){d.open=open;});
  });
});
// A link to a check opens it (and shows its status if it was filtered out).
function reveal(){
  var id=location.hash.slice(1);
  var el=id?document.getElementById(id):null;
  if(el&&el.classList.contains('chk')){
    var s=el.getAttribute('data-status');
    if(body.classList.contains('hide-'+s)){
      body.classList.remove('hide-'+s);
      var b=document.querySelector('button[data-filter="'+s+'"]');
      if(b)b.setAttribute('aria-pressed','true');
      refresh();
    }
    el.open=true;
  }
}
window.addEventListener('hashchange',reveal);
reveal();
})();
`;
