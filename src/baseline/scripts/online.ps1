# azure-rdp-guard RDP hardening
# Generated from the runbook data in src/baseline/settings.ts. Template: src/baseline/scripts/online.ps1.
# The renderer replaces the settings region below and, for the CustomScript command, drops comment lines
# but the first and indentation (the script travels in an 8,191-character command line; keep line 1 short).
# Report: the last stdout line is one line of JSON (the CustomScript instance view keeps 4 KB), the full
# report is $Root\report.json. Exit code 0 whenever the script ran, findings and failed steps included
# ("failed" in the JSON); 1 only when the script itself could not run ("error" in the JSON).
# Windows PowerShell 5.1 syntax only (no ??, ?., ternary, && or ||).
#region settings (rendered from the runbook data; these defaults keep the template runnable)
$Mode = 'audit'
$AllowReboot = $false
$RdpPort = 3389
$CertMinValidDays = 30
$StopConflictingService = $false
$RenewCertificate = $true
$Version = '0.0.0'
$RootPath = 'C:\ProgramData\azure-rdp-guard'
$Tls12Key = 'Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server'
# id, key below CurrentControlSet, name, kind, value, needs reboot, min build, absent means the value from build,
# RDP depends on it (1: health check after a change, 2: also restart TermService)
$Registry = @(
,@('tls12-server-enabled', 'Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server', 'Enabled', 'DWord', 1, 1, 0, 9200, 1)
)
# Reported, never changed: id, key below HKLM, name, value the baseline expects ($null: none). A 'gpo:' row
# (a Group Policy value, which wins over the local one) is reported only when set: change the GPO, not the VM.
$Observed = @()
# SID, FileSystemRights it needs, icacls grant
$Grants = @()
# SIDs in each principal's token
$Tokens = @{ 'S-1-5-20' = @('S-1-5-20', 'S-1-1-0') }
# id, bcdedit /enum target, name, expected, bcdedit arguments (split at blanks)
$Bcd = @()
#endregion

$ErrorActionPreference = 'Stop'
$HK = 'HKEY_LOCAL_MACHINE\'

#region seam: everything that reads or changes Windows goes through these functions (the tests replace them)
function Get-Root { $RootPath }
function Test-RegKey($Path) { Test-Path -LiteralPath ('Registry::' + $Path) }
function Get-RegValue($Path, $Name) {
  $k = Get-Item -LiteralPath ('Registry::' + $Path) -ErrorAction Ignore
  if ($null -eq $k -or $k.GetValueNames() -notcontains $Name) { return $null }
  @{ value = $k.GetValue($Name, $null, 'DoNotExpandEnvironmentNames'); kind = $k.GetValueKind($Name).ToString() }
}
# A $null kind removes the value (the undo of a value that did not exist).
function Set-RegValue($Path, $Name, $Kind, $Value) {
  $p = 'Registry::' + $Path
  if ($null -eq $Kind) { Remove-ItemProperty -LiteralPath $p -Name $Name -ErrorAction Ignore; return }
  if (-not (Test-Path -LiteralPath $p)) { New-Item -Path $p -Force | Out-Null }
  New-ItemProperty -LiteralPath $p -Name $Name -PropertyType $Kind -Value $Value -Force | Out-Null
}
# Native commands (reg, icacls, takeown, netsh, bcdedit, shutdown): their output; a non-zero exit code throws.
function Invoke-Native($Exe) {
  $o = & $Exe @args | Out-String
  if ($LASTEXITCODE) { throw "$Exe $args failed with exit code $LASTEXITCODE" }
  $o
}
# Win32_Service: Name, State, ProcessId, StartMode.
function Get-Svc($Name) { Get-CimInstance -ClassName Win32_Service -Filter "Name='$Name'" }
function Get-SvcInProcess($Id) { @(Get-CimInstance -ClassName Win32_Service -Filter "ProcessId=$Id" | ForEach-Object { $_.Name }) }
function Set-Svc($Name, $Action) {
  if ($Action -eq 'Start') { Start-Service -Name $Name } else { & "$Action-Service" -Name $Name -Force }
}
# Processes listening on a TCP port (what netstat -ano shows).
function Get-Listeners($Port) {
  @(Get-NetTCPConnection -LocalPort $Port -State Listen -ErrorAction Ignore | ForEach-Object { $_.OwningProcess } | Select-Object -Unique)
}
function Get-ProcName($Id) { (Get-Process -Id $Id -ErrorAction Ignore).ProcessName }
function Get-Certs { @(Get-ChildItem -Path 'Cert:\LocalMachine\Remote Desktop') }
# Without -DeleteKey: the key stays in MachineKeys, so the certificate can be added back.
function Remove-Cert($Cert) { Remove-Item -Path ('Cert:\LocalMachine\Remote Desktop\' + $Cert.Thumbprint) }
function Add-Cert($Cert) {
  $s = New-Object Security.Cryptography.X509Certificates.X509Store('Remote Desktop', 'LocalMachine')
  $s.Open('ReadWrite'); $s.Add($Cert); $s.Close()
}
# The certificate the RDP listener actually uses.
function Get-ListenerCert {
  (Get-CimInstance -Namespace root\cimv2\TerminalServices -ClassName Win32_TSGeneralSetting -Filter "TerminalName='RDP-Tcp'").SSLCertificateSHA1Hash
}
# Nothing when NETWORK SERVICE (TermService) can read the certificate's private key (CAPI key in RSA\MachineKeys
# or CNG key in Keys), else why not.
function Test-CertKey($Cert) {
  try {
    $k = [Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Cert)
    $n = $k.Key.UniqueName
    if (-not $n) { $n = $k.CspKeyContainerInfo.UniqueKeyContainerName }
    if (-not $n) { throw }
    $f = Get-Item "$env:ProgramData\Microsoft\Crypto\RSA\MachineKeys\$n", "$env:ProgramData\Microsoft\Crypto\Keys\$n" -ErrorAction Ignore
    if (-not (Test-Access (Get-Access @($f)[0].FullName) $Tokens['S-1-5-20'] 131209)) { throw }
  } catch { 'NETWORK SERVICE cannot read the private key' }
}
function Get-Fw($Name) {
  $r = Get-NetFirewallRule -Name $Name -ErrorAction Ignore
  if ($r) { @{ enabled = "$($r.Enabled)" -eq 'True'; port = "$(($r | Get-NetFirewallPortFilter).LocalPort)" } }
}
function Set-Fw($Name, $Port, $Enabled) { Set-NetFirewallRule -Name $Name -LocalPort $Port -Enabled "$([bool]$Enabled)" }
# Access rules that apply to the path itself, by SID; throws when the ACL cannot be read.
function Get-Access($Path) {
  @((Get-Acl -LiteralPath $Path).GetAccessRules($true, $true, [Security.Principal.SecurityIdentifier]) |
    Where-Object { -not ($_.PropagationFlags -band 2) } |
    ForEach-Object { @{ sid = $_.IdentityReference.Value; rights = [int]$_.FileSystemRights; allow = "$($_.AccessControlType)" -eq 'Allow' } })
}
function Wait-Seconds($N) { Start-Sleep -Seconds $N }
#endregion seam

$Results = [Collections.ArrayList]@()
# What enforce changed, newest last, so a failed RDP health check can put it back.
$Undo = [Collections.ArrayList]@()
$S = @{ Reboot = $false; Rdp = $false; Restart = @{}; Restarted = @{}; Keys = @{}; Blocked = @{} }

function Add-Result($Id, $Expected, $Found, $Result, $Message) {
  [void]$Results.Add([ordered]@{ id = $Id; expected = $Expected; found = $Found; result = $Result; message = "$Message" })
}
function Initialize-Backup {
  if (-not (Test-Path -LiteralPath $Backup)) { New-Item -ItemType Directory -Path $Backup -Force | Out-Null }
}
# reg export of each key before its first change (a key that did not exist has nothing to export).
function Backup-Key($Path) {
  if ($S.Keys[$Path]) { return }
  Initialize-Backup
  if (Test-RegKey $Path) { Invoke-Native reg.exe export $Path (Join-Path $Backup "$($S.Keys.Count).reg") /y | Out-Null }
  $S.Keys[$Path] = 1
}
# Rights (a FileSystemRights mask) a token gets from access rules: allows minus denies of its SIDs.
function Test-Access($Rules, $Token, $Need) {
  $a = 0; $d = 0
  foreach ($r in $Rules) {
    if ($Token -contains $r.sid) { if ($r.allow) { $a = $a -bor $r.rights } else { $d = $d -bor $r.rights } }
  }
  (($a -band -bnot $d) -band $Need) -eq $Need
}
function Restart-Svc($Name) { Set-Svc $Name 'Restart'; $S.Restarted[$Name] = 1 }

function Set-Baseline($Id, $Key, $Name, $Kind, $Value, $Reboot, $MinBuild, $DefaultFrom, $Rdp) {
  $p = $HK + 'SYSTEM\CurrentControlSet\' + $Key
  if ($MinBuild -gt $Build) { Add-Result $Id $Value $null 'not-applicable' "needs OS build $MinBuild+"; return }
  try {
    $c = Get-RegValue $p $Name
    $found = $c.value
    if ($c -and "$found" -eq "$Value" -and $c.kind -eq $Kind) { Add-Result $Id $Value $found 'ok' ''; return }
    if (-not $c -and $DefaultFrom -and $Build -ge $DefaultFrom) { Add-Result $Id $Value $null 'ok' 'OS default'; return }
    if ($S.Blocked[$Id]) { Add-Result $Id $Value $found 'failed' $S.Blocked[$Id]; return }
    if ($Mode -ne 'enforce') { Add-Result $Id $Value $found 'drift' ''; return }
    Backup-Key $p
    Set-RegValue $p $Name $Kind $Value
    [void]$Undo.Add(@{ t = 'reg'; p = $p; n = $Name; k = $c.kind; v = $found })
    if ($Reboot) { $S.Reboot = $true }
    if ($Rdp) { $S.Rdp = $true }
    if ($Rdp -eq 2) { $S.Restart['TermService'] = 1 }
    Add-Result $Id $Value $found 'changed' ''
  } catch {
    Add-Result $Id $Value $null 'failed' $_.Exception.Message
  }
}

# Why RDP would not work now, '' when healthy: TermService running and listening on the port, a certificate
# whose key NETWORK SERVICE reads, TLS 1.2 server enabled, the firewall rule enabled for the port.
function Get-RdpProblems {
  $p = @()
  foreach ($i in 1..6) {
    $t = Get-Svc 'TermService'
    $up = $t.State -eq 'Running' -and (@(Get-Listeners $RdpPort) -contains $t.ProcessId)
    if ($up) { break }
    Wait-Seconds 5
  }
  if (-not $up) { $p += "TermService not listening on $RdpPort" }
  $certs = @(Get-Certs)
  $use = Get-ListenerCert
  $c = @($certs | Where-Object { $_.Thumbprint -eq $use }) + $certs | Select-Object -First 1
  if (-not $c) { $p += 'no certificate' } else { $k = Test-CertKey $c; if ($k) { $p += "certificate: $k" } }
  $k = $HK + 'SYSTEM\CurrentControlSet\' + $Tls12Key
  if ((Get-RegValue $k 'Enabled').value -eq 0 -or (Get-RegValue $k 'DisabledByDefault').value -gt 0) { $p += 'TLS 1.2 disabled' }
  $f = Get-Fw 'RemoteDesktop-UserMode-In-TCP'
  if (-not ($f -and $f.enabled -and $f.port -eq "$RdpPort")) { $p += 'firewall rule off' }
  $p -join '; '
}

# Puts back everything in $Undo, newest first, then restarts what this run restarted.
function Undo-Changes {
  for ($i = $Undo.Count - 1; $i -ge 0; $i--) {
    $u = $Undo[$i]
    try {
      switch ($u.t) {
        'reg' { Set-RegValue $u.p $u.n $u.k $u.v }
        'fw' { Set-Fw $u.n $u.port $u.on }
        'cert' { Add-Cert $u.c }
        'acl' { Invoke-Native icacls.exe $u.p /restore $u.f /c | Out-Null }
        'svc' { Set-Svc $u.n 'Start' }
        'bcd' { Invoke-Native bcdedit.exe /import $u.f | Out-Null }
      }
    } catch { Add-Result ('rollback:' + $u.t) $null $null 'failed' $_.Exception.Message }
  }
  foreach ($n in @($S.Restarted.Keys)) { try { Set-Svc $n 'Restart' } catch { Add-Result "rollback:$n" $null $null 'failed' $_.Exception.Message } }
}

try {
  $Root = Get-Root
  $Backup = Join-Path $Root ('backup\' + (Get-Date -Format 'yyyyMMdd-HHmmss'))
  $Build = [int](Get-RegValue ($HK + 'SOFTWARE\Microsoft\Windows NT\CurrentVersion') 'CurrentBuildNumber').value

  # Runbook step 1: who listens on the RDP port? Checked before PortNumber moves, so RDP never moves
  # onto a port another process holds. Only a service alone in its process is stopped (stopping a
  # shared svchost would stop its neighbours too).
  try {
    $term = Get-Svc 'TermService'
    $holders = @(Get-Listeners $RdpPort | Where-Object { $_ -ne $term.ProcessId })
    foreach ($h in $holders) {
      $svcs = @(Get-SvcInProcess $h)
      $found = "$(Get-ProcName $h) $svcs"
      if ($StopConflictingService -and $Mode -eq 'enforce' -and $svcs.Count -eq 1) {
        Set-Svc $svcs[0] 'Stop'
        [void]$Undo.Add(@{ t = 'svc'; n = $svcs[0] })
        $S.Restart['TermService'] = 1
        $S.Rdp = $true
        Add-Result 'rdp-port-conflict' 'TermService' $found 'changed' "stopped $($svcs[0])"
      } else {
        $S.Blocked['rdp-port-number'] = "port $RdpPort is held by $found"
        Add-Result 'rdp-port-conflict' 'TermService' $found 'conflict' $(if ($svcs.Count -ne 1) { 'shared or no service: not stopped' })
      }
    }
    if (-not $holders) { Add-Result 'rdp-port-conflict' 'TermService' 'none' 'ok' '' }
    if ($term.State -eq 'Running') { Add-Result 'termservice' 'Running' 'Running' 'ok' '' }
    elseif ($term.StartMode -eq 'Disabled') { Add-Result 'termservice' 'Running' 'Disabled' 'failed' '' }
    elseif ($Mode -ne 'enforce') { Add-Result 'termservice' 'Running' $term.State 'drift' '' }
    else { $S.Restart['TermService'] = 1; $S.Rdp = $true; Add-Result 'termservice' 'Running' $term.State 'changed' 'started' }
  } catch {
    Add-Result 'rdp-port-conflict' 'TermService' $null 'failed' $_.Exception.Message
  }

  # Registry values of the baseline: read, compare, back up, set, report.
  foreach ($r in $Registry) { Set-Baseline @r }
  # Observed values and Group Policy overrides (runbook step 3.3: report them instead of fighting them).
  foreach ($o in $Observed) {
    $c = Get-RegValue ($HK + $o[1]) $o[2]
    if ($o[0] -like 'gpo:*' -and -not $c) { continue }
    $r = 'observed'
    if ($c -and $null -ne $o[3] -and "$($c.value)" -ne "$($o[3])") { $r = 'managed-by-gpo' }
    Add-Result $o[0] $o[3] $c.value $r ''
  }

  # MachineKeys (runbook step 2.3): compare effective access by SID, so the default ACL (KB 278381,
  # grants through Everyone and Administrators) is no drift; grant by SID so localized Windows works.
  if ($Grants) {
    $mkp = "$env:ProgramData\Microsoft\Crypto\RSA"
    $mk = "$mkp\MachineKeys"
    $want = $Grants | ForEach-Object { $_[2] }
    try {
      $missing = @()
      $take = $false
      try {
        $rules = Get-Access $mk
        foreach ($g in $Grants) { if (-not (Test-Access $rules $Tokens[$g[0]] $g[1])) { $missing += $g[2] } }
        $found = $missing -join ','
      } catch { $take = $true; $missing = $want; $found = 'unreadable' }
      if (-not $missing) { Add-Result 'machinekeys-acl' $want $found 'ok' '' }
      elseif ($Mode -ne 'enforce') { Add-Result 'machinekeys-acl' $want $found 'drift' '' }
      else {
        Initialize-Backup
        $acl = Join-Path $Backup 'MachineKeys.acl'
        # Unreadable entries: take ownership first, or not even the backup could read them.
        if ($take) { Invoke-Native takeown.exe /f $mk /a /r /d Y | Out-Null }
        Invoke-Native icacls.exe $mk /save $acl /t /c | Out-Null
        Invoke-Native icacls.exe $mk /t /c | Set-Content -LiteralPath (Join-Path $Backup 'BeforeScript_permissions.txt')
        [void]$Undo.Add(@{ t = 'acl'; p = $mkp; f = $acl })
        foreach ($g in $Grants) { Invoke-Native icacls.exe $mk /t /c /grant $g[2] | Out-Null }
        Invoke-Native icacls.exe $mk /t /c | Set-Content -LiteralPath (Join-Path $Backup 'AfterScript_permissions.txt')
        $S.Restart['TermService'] = 1
        $S.Rdp = $true
        Add-Result 'machinekeys-acl' $want $found 'changed' $acl
      }
    } catch {
      Add-Result 'machinekeys-acl' $want $null 'failed' $_.Exception.Message
    }
  }

  # RDP certificate (runbook step 2.1): renew a missing, expiring or keyless self-signed certificate by removing
  # it and restarting SessionEnv, which creates a new one. A CA-issued certificate is only reported.
  if ($RenewCertificate) {
    $want = "valid for $CertMinValidDays+ days"
    try {
      $certs = @(Get-Certs)
      $bad = @()
      foreach ($c in $certs) {
        $id = 'rdp-certificate:' + $c.Thumbprint
        $p = @()
        if ($c.NotAfter -lt (Get-Date).AddDays($CertMinValidDays)) { $p += 'expires ' + $c.NotAfter.ToString('yyyy-MM-dd') }
        $k = Test-CertKey $c
        if ($k) { $p += $k }
        if (-not $p) { Add-Result $id $want $c.NotAfter.ToString('yyyy-MM-dd') 'ok' '' }
        elseif ($c.Subject -ne $c.Issuer) { Add-Result $id $want ($p -join '; ') 'needs-pki' '' }
        else { $bad += , @($c, $id, ($p -join '; ')) }
      }
      if (-not $certs) { $bad += , @($null, 'rdp-certificate', 'missing') }
      if ($bad -and $Mode -ne 'enforce') { foreach ($b in $bad) { Add-Result $b[1] $want $b[2] 'drift' '' } }
      elseif ($bad) {
        $se = Get-Svc 'SessionEnv'
        if (-not $se -or $se.StartMode -eq 'Disabled') { throw 'SessionEnv cannot start: nothing removed' }
        Initialize-Backup
        foreach ($b in $bad) {
          if ($b[0]) {
            [IO.File]::WriteAllBytes((Join-Path $Backup ('rdp-' + $b[0].Thumbprint + '.cer')), $b[0].RawData)
            Remove-Cert $b[0]
            [void]$Undo.Add(@{ t = 'cert'; c = $b[0] })
          }
        }
        Restart-Svc 'SessionEnv'
        $S.Rdp = $true
        $new = $null
        foreach ($i in 1..5) {
          $new = @(Get-Certs | Where-Object { ($certs | ForEach-Object { $_.Thumbprint }) -notcontains $_.Thumbprint })
          if ($new) { break }
          Wait-Seconds 3
        }
        foreach ($b in $bad) {
          if ($new) { Add-Result $b[1] $want $b[2] 'changed' $new[0].Thumbprint } else { Add-Result $b[1] $want $b[2] 'failed' 'no new certificate' }
        }
      }
    } catch {
      Add-Result 'rdp-certificate' $want $null 'failed' $_.Exception.Message
    }
  }

  # Firewall rules follow the RDP port and must be enabled (runbook step 1.2.2). One export covers both rules.
  foreach ($n in @('RemoteDesktop-UserMode-In-TCP', 'RemoteDesktop-UserMode-In-UDP')) {
    $id = 'firewall:' + $n
    try {
      $f = Get-Fw $n
      if (-not $f) { Add-Result $id $RdpPort $null 'missing' 'rule not found'; continue }
      $found = $f.port + '/' + $(if ($f.enabled) { 'enabled' } else { 'disabled' })
      if ($f.port -eq "$RdpPort" -and $f.enabled) { Add-Result $id $RdpPort $found 'ok' ''; continue }
      if ($Mode -ne 'enforce') { Add-Result $id $RdpPort $found 'drift' ''; continue }
      if (-not $S.Fw) {
        Initialize-Backup
        Invoke-Native netsh.exe advfirewall export (Join-Path $Backup 'firewall.wfw') | Out-Null
        $S.Fw = 1
      }
      Set-Fw $n $RdpPort $true
      [void]$Undo.Add(@{ t = 'fw'; n = $n; port = $f.port; on = $f.enabled })
      $S.Rdp = $true
      Add-Result $id $RdpPort $found 'changed' ''
    } catch {
      Add-Result $id $RdpPort $null 'failed' $_.Exception.Message
    }
  }

  # Serial console / EMS. bcdedit prints Yes/No in the OS language, so several spellings count.
  foreach ($b in $Bcd) {
    $id, $target, $name, $expected, $setArgs = $b
    $setArgs = $setArgs -split ' '
    try {
      $m = [regex]::Match((Invoke-Native bcdedit.exe /enum $target), '(?m)^' + $name + '\s+(\S+)\s*$')
      $found = $null
      if ($m.Success) { $found = $m.Groups[1].Value }
      # \u escapes keep the script ASCII (Windows PowerShell reads a .ps1 without BOM as ANSI): Russian, Chinese, Japanese "yes".
      if ($expected -eq 'yes') { $ok = $found -match '^(yes|ja|oui|si|sim|tak|\u0434\u0430|\u662f|\u306f\u3044)$' } else { $ok = $found -eq $expected }
      if ($ok) { Add-Result $id $expected $found 'ok' ''; continue }
      if ($Mode -ne 'enforce') { Add-Result $id $expected $found 'drift' ''; continue }
      if (-not $S.Bcd) {
        Initialize-Backup
        $S.Bcd = Join-Path $Backup 'bcd.bak'
        Invoke-Native bcdedit.exe /export $S.Bcd | Out-Null
        [void]$Undo.Add(@{ t = 'bcd'; f = $S.Bcd })
      }
      Invoke-Native bcdedit.exe @setArgs | Out-Null
      $S.Reboot = $true
      Add-Result $id $expected $found 'changed' ''
    } catch {
      Add-Result $id $expected $null 'failed' $_.Exception.Message
    }
  }

  # Never lock the VM out: after a change RDP depends on, restart what needs it and check RDP health; when
  # unhealthy, put every backup of this run back and report rolledBack.
  $rolledBack = $null
  if ($Mode -eq 'enforce' -and $S.Rdp) {
    try {
      if ($S.Restart['TermService']) { Restart-Svc 'TermService' }
      $why = Get-RdpProblems
      if (-not $why) { Add-Result 'rdp-health' 'healthy' 'healthy' 'ok' '' }
      else {
        foreach ($r in $Results) { if ($r.result -eq 'changed') { $r.result = 'rolled-back' } }
        Undo-Changes
        $S.Reboot = $false
        $rolledBack = [ordered]@{ reason = $why; restored = $Undo.Count }
        Add-Result 'rdp-health' 'healthy' $why 'failed' "rolled back $($Undo.Count) change(s)"
      }
    } catch {
      Add-Result 'rdp-health' 'healthy' $null 'failed' $_.Exception.Message
    }
  }

  # Report: the full JSON on disk; the summary (at most 40 not-ok ids: under 4 KB) is the last stdout line.
  $failed = @($Results | Where-Object { $_.result -eq 'failed' }).Count
  $sched = $S.Reboot -and $AllowReboot -and $Mode -eq 'enforce' -and -not $failed
  if ($sched) { Invoke-Native shutdown.exe /r /t 120 /d p:4:1 /c 'azure-rdp-guard' | Out-Null }
  $file = Join-Path $Root 'report.json'
  $sum = [ordered]@{ tool = 'azure-rdp-guard'; version = $Version; mode = $Mode; checked = $Results.Count; failed = $failed
    notOk = @($Results | Where-Object { 'ok', 'observed', 'not-applicable' -notcontains $_.result } | Select-Object -First 40 | ForEach-Object { $_.id + '=' + $_.result })
    rebootRequired = $S.Reboot; rebootScheduled = $sched; rolledBack = $rolledBack; report = $file }
  New-Item -ItemType Directory -Path $Root -Force | Out-Null
  [ordered]@{ summary = $sum; osBuild = $Build; results = $Results; backup = $Backup } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $file
  $sum | ConvertTo-Json -Compress -Depth 4
} catch {
  Write-Output ([ordered]@{ tool = 'azure-rdp-guard'; version = $Version; mode = $Mode; error = $_.Exception.Message } | ConvertTo-Json -Compress)
  exit 1
}
exit 0
