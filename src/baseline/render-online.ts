import { createHash } from "node:crypto";
import { HardeningOptions, resolveOptions } from "./options";
import { POLICY_OVERRIDES, actionSteps, observedSettings, registrySettings } from "./settings";
import { psValue, psq } from "./powershell";

export type HardeningMode = "enforce" | "audit";

export interface RenderOptions {
  readonly mode: HardeningMode;
  /** Schedule a reboot when a change needs one (default false: the report says rebootRequired). */
  readonly allowReboot?: boolean;
  /** Tool version written into the report. */
  readonly version?: string;
}

/** Where the script keeps its report and backups on the VM. */
export const VM_ROOT = "C:\\ProgramData\\azure-rdp-guard";

/**
 * Renders the runbook's online steps as one idempotent PowerShell 5.1 script. Each step reads the
 * current state, compares it with the baseline and changes only what differs (enforce mode), after
 * backing up what it touches; audit mode only reports. The last stdout line is a one-line JSON
 * summary (the CustomScript instance view keeps the last 4 KB); the full report goes to
 * C:\ProgramData\azure-rdp-guard\report.json.
 */
export function renderHardeningScript(options: HardeningOptions, render: RenderOptions): string {
  const o = resolveOptions(options);
  if (render.mode !== "enforce" && render.mode !== "audit")
    throw new Error(`mode: '${String(render.mode)}' must be 'enforce' or 'audit'`);
  const steps = new Map(actionSteps(o).map((s) => [s.id, s]));
  const expectedFor: Record<string, string | number | undefined> = {
    "nla-user-authentication": 1,
    "nla-security-layer": o.securityLayer === "tls" ? 2 : 1,
  };
  const policyExpected = (name: string, overrides?: string): string | number | undefined =>
    name === "fDenyTSConnections" ? 0 : overrides ? expectedFor[overrides] : undefined;

  const lines: string[] = [
    `# azure-rdp-guard RDP hardening (${render.mode}), generated from the baseline`,
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    `$Mode = ${psq(render.mode)}`,
    `$AllowReboot = ${psValue(render.allowReboot ?? false)}`,
    `$RdpPort = ${o.rdpPort}`,
    `$CertMinValidDays = ${o.certMinValidDays}`,
    `$StopConflictingService = ${psValue(o.stopConflictingService)}`,
    `$Root = ${psq(VM_ROOT)}`,
    "$Backup = Join-Path $Root ('backup\\' + (Get-Date -Format 'yyyyMMdd-HHmmss'))",
    "$Started = (Get-Date).ToUniversalTime().ToString('o')",
    "$Results = [Collections.ArrayList]@()",
    "$GpoOverrides = [Collections.ArrayList]@()",
    "$PortConflicts = [Collections.ArrayList]@()",
    "$Script:Reboot = $false",
    "$Script:Exported = @{}",
    "$Build = [int](Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion').CurrentBuildNumber",
    "",
    HELPERS,
    "",
    "# Registry settings: read, compare, back up, set, report (one line per baseline entry).",
    "$Changed = @{}",
  ];
  for (const s of registrySettings(o)) {
    lines.push(
      `Set-Baseline ${psq(s.id)} ${psq(s.key)} ${psq(s.name)} ${PS_KIND[s.type]} ${psValue(s.value)} ${s.reboot ? 1 : 0} ${s.minBuild ?? 0}`,
    );
  }
  lines.push("", "# Observed only: reported, never changed.");
  for (const s of observedSettings(o))
    lines.push(`Get-Observed ${psq(s.id)} ${psq(s.key)} ${psq(s.name)} ${psq(s.note)}`);

  lines.push("", "# Group Policy values win over the local ones: report them instead of fighting them.");
  for (const p of POLICY_OVERRIDES) {
    lines.push(
      `Test-PolicyOverride ${psq(p.key)} ${psq(p.name)} ${psValue(p.overrides)} ${psValue(policyExpected(p.name, p.overrides))} ${psq(p.note)}`,
    );
  }

  if (steps.get("machinekeys-acl")!.enabled) lines.push("", MACHINE_KEYS);
  if (steps.get("rdp-certificate")!.enabled) lines.push("", CERTIFICATE);
  lines.push("", FIREWALL, "", PORT_CONFLICT);
  if (steps.get("serial-console")!.enabled) lines.push("", SERIAL_CONSOLE);
  lines.push("", `$Version = ${psq(render.version ?? "0.0.0")}`, REPORT);
  return compact(lines.join("\n"));
}

/**
 * The script ships inside an 8,191-character command line, so the rendered form drops comment
 * lines (all but the header) and indentation. The readable source is this module.
 */
function compact(script: string): string {
  const [header, ...rest] = script.split("\n");
  const body = rest.map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  return [header, ...body].join("\n") + "\n";
}

/** RegistryValueKind names, as New-ItemProperty and GetValueKind spell them. */
const PS_KIND = { REG_DWORD: "DWord", REG_SZ: "String", REG_EXPAND_SZ: "ExpandString" } as const;

export function scriptSha256(script: string): string {
  return createHash("sha256").update(script, "utf8").digest("hex");
}

const HELPERS = String.raw`function Add-Result($Id, $Expected, $Found, $Action, $Result, $Message) {
  [void]$Results.Add([ordered]@{ id = $Id; expected = $Expected; found = $Found; action = $Action; result = $Result; message = $Message })
}

function Initialize-Backup {
  if (-not (Test-Path -LiteralPath $Backup)) { New-Item -ItemType Directory -Path $Backup -Force | Out-Null }
}

# reg.exe export of each key before its first change; keys that did not exist are listed instead.
function Backup-Key($RegPath) {
  if ($Script:Exported.ContainsKey($RegPath)) { return }
  Initialize-Backup
  if (Test-Path -LiteralPath ('Registry::' + $RegPath)) {
    $file = Join-Path $Backup (($RegPath -replace '[\\/:* ]', '_') + '.reg')
    & reg.exe export $RegPath $file /y | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "reg export of $RegPath failed" }
  } else {
    Add-Content -LiteralPath (Join-Path $Backup 'created-keys.txt') -Value $RegPath
  }
  $Script:Exported[$RegPath] = $true
}

function Get-RegValue($Path, $Name) {
  $key = Get-Item -LiteralPath $Path -ErrorAction SilentlyContinue
  if ($null -eq $key) { return $null }
  if ($key.GetValueNames() -notcontains $Name) { return $null }
  @{ value = $key.GetValue($Name, $null, 'DoNotExpandEnvironmentNames'); kind = $key.GetValueKind($Name).ToString() }
}

function Set-Baseline($Id, $Key, $Name, $Kind, $Value, $NeedsReboot, $MinBuild) {
  $reg = 'HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\' + $Key
  $path = 'Registry::' + $reg
  if ($MinBuild -gt 0 -and $Build -lt $MinBuild) { Add-Result $Id $Value $null 'none' 'not-applicable' "needs OS build $MinBuild+"; return }
  try {
    $current = Get-RegValue $path $Name
    $found = $null
    if ($null -ne $current) { $found = $current.value }
    if ($null -ne $current -and "$($current.value)" -eq "$Value" -and $current.kind -eq $Kind) { Add-Result $Id $Value $found 'none' 'ok' ''; return }
    if ($Mode -ne 'enforce') { Add-Result $Id $Value $found 'none' 'drift' ''; return }
    Backup-Key $reg
    if (-not (Test-Path -LiteralPath $path)) { New-Item -Path $path -Force | Out-Null }
    New-ItemProperty -LiteralPath $path -Name $Name -PropertyType $Kind -Value $Value -Force | Out-Null
    if ($NeedsReboot) { $Script:Reboot = $true }
    $Changed[$Id] = $true
    Add-Result $Id $Value $found 'set' 'changed' ''
  } catch {
    Add-Result $Id $Value $null 'set' 'failed' $_.Exception.Message
  }
}

function Get-Observed($Id, $Key, $Name, $Note) {
  $current = Get-RegValue ('Registry::HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\' + $Key) $Name
  $found = $null
  if ($null -ne $current) { $found = $current.value }
  Add-Result $Id $null $found 'none' 'observed' $Note
}

function Test-PolicyOverride($Key, $Name, $Overrides, $Expected, $Note) {
  $current = Get-RegValue ('Registry::HKEY_LOCAL_MACHINE\' + $Key) $Name
  if ($null -eq $current) { return }
  $conflict = ($null -ne $Expected) -and ("$($current.value)" -ne "$Expected")
  [void]$GpoOverrides.Add([ordered]@{ key = "HKLM\$Key"; name = $Name; value = $current.value; overrides = $Overrides; conflict = $conflict; note = $Note })
  if ($conflict) {
    Add-Result ('gpo:' + $Name) $Expected $current.value 'none' 'managed-by-gpo' "$Note sets $Name=$($current.value); change the GPO, a local fix would be reverted"
  }
}`;

const MACHINE_KEYS = String.raw`# MachineKeys ACL: SYSTEM Full, NETWORK SERVICE Read, Administrators Full. SIDs, not names, so
# localized Windows (e.g. "NT-AUTORITAET\SYSTEM") works too.
try {
  $mk = Join-Path $env:ProgramData 'Microsoft\Crypto\RSA\MachineKeys'
  $want = 'SYSTEM:F,NETWORK SERVICE:R,Administrators:F'
  $need = @(
    @{ sid = 'S-1-5-18'; right = [Security.AccessControl.FileSystemRights]'FullControl'; grant = '*S-1-5-18:(F)' },
    @{ sid = 'S-1-5-20'; right = [Security.AccessControl.FileSystemRights]'Read'; grant = '*S-1-5-20:(R)' },
    @{ sid = 'S-1-5-32-544'; right = [Security.AccessControl.FileSystemRights]'FullControl'; grant = '*S-1-5-32-544:(F)' }
  )
  $missing = @()
  $takeOwnership = $false
  try {
    $acl = Get-Acl -LiteralPath $mk
    foreach ($n in $need) {
      $has = $acl.Access | Where-Object {
        $_.AccessControlType -eq 'Allow' -and
        $_.IdentityReference.Translate([Security.Principal.SecurityIdentifier]).Value -eq $n.sid -and
        (($_.FileSystemRights -band $n.right) -eq $n.right)
      }
      if (-not $has) { $missing += $n }
    }
    $unreadable = @(Get-ChildItem -LiteralPath $mk -Force -ErrorAction SilentlyContinue | Where-Object { -not (Get-Acl -LiteralPath $_.FullName -ErrorAction SilentlyContinue) }).Count
    if ($unreadable -gt 0) { $missing = $need; $takeOwnership = $true }
  } catch {
    # Get-Acl itself failed (typically access denied): take ownership first.
    $missing = $need
    $takeOwnership = $true
  }
  $found = ($missing | ForEach-Object { $_.sid }) -join ','
  if ($missing.Count -eq 0) {
    Add-Result 'machinekeys-acl' $want 'present' 'none' 'ok' ''
  } elseif ($Mode -ne 'enforce') {
    Add-Result 'machinekeys-acl' $want "missing $found" 'none' 'drift' ''
  } else {
    Initialize-Backup
    & icacls.exe $mk /save (Join-Path $Backup 'MachineKeys.acl') /t /c | Out-Null
    & icacls.exe $mk /t /c | Out-File -FilePath (Join-Path $Backup 'BeforeScript_permissions.txt') -Encoding UTF8
    if ($takeOwnership) { & takeown.exe /f $mk /a /r /d Y | Out-Null }
    foreach ($n in $need) {
      & icacls.exe $mk /t /c /grant $n.grant | Out-Null
      if ($LASTEXITCODE -ne 0) { throw "icacls grant $($n.grant) failed with exit code $LASTEXITCODE" }
    }
    & icacls.exe $mk /t /c | Out-File -FilePath (Join-Path $Backup 'AfterScript_permissions.txt') -Encoding UTF8
    $Script:RestartTermService = $true
    Add-Result 'machinekeys-acl' $want "missing $found" 'icacls /grant' 'changed' "ACL saved to $Backup\MachineKeys.acl (icacls /restore)"
  }
} catch {
  Add-Result 'machinekeys-acl' 'SYSTEM:F,NETWORK SERVICE:R,Administrators:F' $null 'icacls /grant' 'failed' $_.Exception.Message
}`;

const CERTIFICATE = String.raw`# RDP certificate: renew a missing, expiring or broken self-signed certificate; a CA-issued one is
# only reported (renew it through your PKI). Removed certificates are exported first.
try {
  $store = 'Cert:\LocalMachine\Remote Desktop'
  $want = "valid for $CertMinValidDays+ days"
  $certs = @(Get-ChildItem -Path $store -ErrorAction SilentlyContinue)
  $renew = $false
  if ($certs.Count -eq 0) {
    $renew = $true
    Add-Result 'rdp-certificate' $want 'missing' 'restart SessionEnv' ($(if ($Mode -eq 'enforce') { 'changed' } else { 'drift' })) 'no certificate in the Remote Desktop store'
  }
  foreach ($c in $certs) {
    $problems = @()
    if ($c.NotAfter -lt (Get-Date).AddDays($CertMinValidDays)) { $problems += "expires $($c.NotAfter.ToString('yyyy-MM-dd'))" }
    if (-not $c.HasPrivateKey) { $problems += 'no private key' }
    else {
      try {
        $key = [Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($c)
        if ($null -eq $key) { $problems += 'private key unreadable' }
      } catch { $problems += 'private key unreadable' }
    }
    $id = 'rdp-certificate:' + $c.Thumbprint
    if ($problems.Count -eq 0) { Add-Result $id $want "valid until $($c.NotAfter.ToString('yyyy-MM-dd'))" 'none' 'ok' ''; continue }
    $found = $problems -join '; '
    if ($c.Subject -ne $c.Issuer) { Add-Result $id 'self-signed or valid' $found 'none' 'needs-pki' 'CA-issued certificate: renew it through your PKI'; continue }
    if ($Mode -ne 'enforce') { Add-Result $id $want $found 'none' 'drift' ''; continue }
    Initialize-Backup
    $saved = Join-Path $Backup ("rdp-" + $c.Thumbprint)
    try { Export-PfxCertificate -Cert $c -FilePath ($saved + '.pfx') -ProtectTo 'BUILTIN\Administrators' | Out-Null; $saved += '.pfx' }
    catch { Export-Certificate -Cert $c -FilePath ($saved + '.cer') | Out-Null; $saved += '.cer' }
    Remove-Item -Path (Join-Path $store $c.Thumbprint)
    $renew = $true
    Add-Result $id $want $found 'renew' 'changed' "old certificate exported to $saved"
  }
  if ($renew -and $Mode -eq 'enforce') { Restart-Service -Name SessionEnv -Force }
} catch {
  Add-Result 'rdp-certificate' "valid for $CertMinValidDays+ days" $null 'renew' 'failed' $_.Exception.Message
}`;

const FIREWALL = String.raw`# Firewall rules follow the RDP port (registry PortNumber, firewall and NSG move together).
foreach ($ruleName in @('RemoteDesktop-UserMode-In-TCP', 'RemoteDesktop-UserMode-In-UDP')) {
  $fid = 'firewall:' + $ruleName
  try {
    $rule = Get-NetFirewallRule -Name $ruleName -ErrorAction SilentlyContinue
    if ($null -eq $rule) { Add-Result $fid $RdpPort $null 'none' 'missing' 'rule not found'; continue }
    $port = "$(($rule | Get-NetFirewallPortFilter).LocalPort)"
    if ($port -eq "$RdpPort") { Add-Result $fid $RdpPort $port 'none' 'ok' ''; continue }
    if ($Mode -ne 'enforce') { Add-Result $fid $RdpPort $port 'none' 'drift' ''; continue }
    Initialize-Backup
    & netsh.exe advfirewall export (Join-Path $Backup 'firewall.wfw') | Out-Null
    Set-NetFirewallRule -Name $ruleName -LocalPort $RdpPort
    Add-Result $fid $RdpPort $port 'Set-NetFirewallRule' 'changed' ''
  } catch {
    Add-Result $fid $RdpPort $null 'Set-NetFirewallRule' 'failed' $_.Exception.Message
  }
}`;

const PORT_CONFLICT = String.raw`# Which process listens on the RDP port? Anything but TermService is a conflict (runbook step 1).
try {
  if ($Mode -eq 'enforce' -and ($Changed['rdp-port-number'] -or $Script:RestartTermService)) { Restart-Service -Name TermService -Force }
  $termPid = (Get-CimInstance -ClassName Win32_Service -Filter "Name='TermService'").ProcessId
  $listeners = @(Get-NetTCPConnection -LocalPort $RdpPort -State Listen -ErrorAction SilentlyContinue)
  $others = @($listeners | Where-Object { $_.OwningProcess -ne $termPid } | Select-Object -ExpandProperty OwningProcess -Unique)
  foreach ($p in $others) {
    $services = @(Get-CimInstance -ClassName Win32_Service -Filter "ProcessId=$p" | Select-Object -ExpandProperty Name)
    $proc = (Get-Process -Id $p -ErrorAction SilentlyContinue).ProcessName
    [void]$PortConflicts.Add([ordered]@{ port = $RdpPort; pid = $p; process = $proc; services = $services })
    if ($StopConflictingService -and $Mode -eq 'enforce' -and $services.Count -gt 0) {
      foreach ($s in $services) { Stop-Service -Name $s -Force }
      Start-Service -Name TermService
      Add-Result 'rdp-port-conflict' 'TermService' "$proc ($($services -join ','))" 'Stop-Service' 'changed' ''
    } else {
      Add-Result 'rdp-port-conflict' 'TermService' "$proc ($($services -join ','))" 'none' 'conflict' 'stop it (stopConflictingService) or move RDP to another port'
    }
  }
  if ($others.Count -eq 0) {
    $state = 'listening'
    if ($listeners.Count -eq 0) { $state = 'not listening' }
    Add-Result 'rdp-port-conflict' 'TermService' "TermService $state" 'none' 'ok' ''
  }
} catch {
  Add-Result 'rdp-port-conflict' 'TermService' $null 'none' 'failed' $_.Exception.Message
}`;

const SERIAL_CONSOLE = String.raw`# Serial Console / EMS. bcdedit prints Yes/No in the OS language, so several spellings count.
$YesWords = '^(yes|ja|oui|si|sim|tak|да|是|はい)$'
$EmsSet = @('/emssettings', 'EMSPORT:1', 'EMSBAUDRATE:115200')
$Bcd = @(
  @('ems-bootmgr-displaybootmenu', '{bootmgr}', 'displaybootmenu', 'yes', @('/set', '{bootmgr}', 'displaybootmenu', 'yes')),
  @('ems-bootmgr-timeout', '{bootmgr}', 'timeout', '5', @('/set', '{bootmgr}', 'timeout', '5')),
  @('ems-bootmgr-bootems', '{bootmgr}', 'bootems', 'yes', @('/set', '{bootmgr}', 'bootems', 'yes')),
  @('ems-current', '{current}', 'ems', 'yes', @('/ems', '{current}', 'on')),
  @('ems-settings-port', '{emssettings}', 'emsport', '1', $EmsSet),
  @('ems-settings-baudrate', '{emssettings}', 'emsbaudrate', '115200', $EmsSet)
)
$BcdExported = $false
foreach ($b in $Bcd) {
  $id, $target, $name, $expected, $setArgs = $b
  try {
    $m = [regex]::Match((& bcdedit.exe /enum $target | Out-String), '(?m)^' + $name + '\s+(\S+)\s*$')
    $found = $null
    if ($m.Success) { $found = $m.Groups[1].Value }
    if ($expected -eq 'yes') { $ok = ($null -ne $found) -and ($found -match $YesWords) } else { $ok = ($found -eq $expected) }
    if ($ok) { Add-Result $id $expected $found 'none' 'ok' ''; continue }
    if ($Mode -ne 'enforce') { Add-Result $id $expected $found 'none' 'drift' ''; continue }
    if (-not $BcdExported) {
      Initialize-Backup
      & bcdedit.exe /export (Join-Path $Backup 'bcd.bak') | Out-Null
      if ($LASTEXITCODE -ne 0) { throw 'bcdedit /export failed' }
      $BcdExported = $true
    }
    & bcdedit.exe @setArgs | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "bcdedit $($setArgs -join ' ') failed with exit code $LASTEXITCODE" }
    $Script:Reboot = $true
    Add-Result $id $expected $found ('bcdedit ' + ($setArgs -join ' ')) 'changed' ''
  } catch {
    Add-Result $id $expected $null 'bcdedit' 'failed' $_.Exception.Message
  }
}`;

const REPORT = String.raw`# Report: full JSON on disk; a one-line summary is the last stdout line (the instance view keeps 4 KB).
$failed = @($Results | Where-Object { $_.result -eq 'failed' }).Count
$rebootScheduled = $false
if ($Script:Reboot -and $AllowReboot -and $Mode -eq 'enforce' -and $failed -eq 0) {
  & shutdown.exe /r /t 120 /d p:4:1 /c 'azure-rdp-guard: applying RDP hardening' | Out-Null
  $rebootScheduled = $true
}
$backupPath = $null
if (Test-Path -LiteralPath $Backup) { $backupPath = $Backup }
$file = Join-Path $Root 'report.json'
if (-not (Test-Path -LiteralPath $Root)) { New-Item -ItemType Directory -Path $Root -Force | Out-Null }
[ordered]@{
  tool = 'azure-rdp-guard'; version = $Version; mode = $Mode; computer = $env:COMPUTERNAME; osBuild = $Build
  startedAt = $Started; finishedAt = (Get-Date).ToUniversalTime().ToString('o'); results = $Results; gpoOverrides = $GpoOverrides
  portConflicts = $PortConflicts; rebootRequired = $Script:Reboot; rebootScheduled = $rebootScheduled; backupPath = $backupPath; failed = $failed
} | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $file -Encoding UTF8
$notOk = @($Results | Where-Object { @('ok', 'observed', 'not-applicable') -notcontains $_.result } | Select-Object -First 40 | ForEach-Object { $_.id + '=' + $_.result })
Write-Output ([ordered]@{
  tool = 'azure-rdp-guard'; version = $Version; mode = $Mode; checked = $Results.Count; failed = $failed; notOk = $notOk
  rebootRequired = $Script:Reboot; rebootScheduled = $rebootScheduled; report = $file
} | ConvertTo-Json -Compress)
exit [int]($failed -gt 0)`;
